#!/usr/bin/env node
// Writes src/vendor/rrweb-record.js: @rrweb/record's ESM build without the parts replaykit
// never runs, so hosts do not download them (about 5 KB min+gzip of rrweb's 22 KB):
// - its canvas recorder (2D/WebGL command capture, the image-snapshot worker): replaykit
//   records canvases itself (capture.ts › captureCanvas) in the same event format;
// - its cross-origin iframe relay (replaykit never sets `recordCrossOriginIframes`);
// - the `hooks` option's wrappers around every observer (replaykit passes no hooks);
// - the warning proxy behind rrweb's long-removed global `mirror` export;
// - rrdom's node class (one `instanceof` the recorder's real DOM nodes never satisfy), the id
//   maps of cross-origin iframes, the relay of events to a parent frame, and
//   record.addCustomEvent and record.freezePage (replaykit calls neither), and record()'s
//   check of whether its frame emits (only such an iframe does not);
// - the code of six options replaykit never sets (inlineImages, collectFonts,
//   slimDOMOptions, plugins, packFn, errorHandler), which the copy's record() refuses
//   instead of ignoring, and slimDOM's presets, unreachable with slimDOMOptions refused;
// - snapshot()'s own copy of the input-masking presets: record(), its one caller, passes the
//   masking it worked out, never a boolean; and record()'s masking for a `maskAllInputs` other
//   than true, which replaykit always sets;
// - the `sampling`, `mousemoveWait` and `userTriggeredOnInput` options (refused as well): the
//   observers use rrweb's default rates.
// - the number-to-name half of rrweb's enums (TypeScript's reverse mapping), never read: they
//   are plain objects of names.
// Run by the workspace's postinstall; the recorder's build bundles the result, so a
// published package carries it. Each cut is located by anchors that must match exactly
// once: a new rrweb version that moves them fails here, loudly, instead of shipping a
// half-cut file. rrweb is MIT licensed; the header keeps its notice.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXPECTED_VERSION = '2.1.6';
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(packageDir, 'package.json'));
// The package's exports hide package.json; its entry is dist/record.*.
const rrwebDir = dirname(dirname(require.resolve('@rrweb/record')));
const { version } = JSON.parse(readFileSync(join(rrwebDir, 'package.json'), 'utf8'));
if (version !== EXPECTED_VERSION) {
  throw new Error(
    `trim-rrweb: @rrweb/record is ${version}, the cuts were written for ${EXPECTED_VERSION}. ` +
      'Check every anchor below against the new dist/record.js, then update EXPECTED_VERSION.',
  );
}

let code = readFileSync(join(rrwebDir, 'dist', 'record.js'), 'utf8');

/**
 * Replaces the text from `start` up to (not including) `end` with `replacement`, or with what
 * `replacement` returns for that text when it is a function.
 */
function cut(name, start, end, replacement = '') {
  const from = code.indexOf(start);
  if (from < 0 || code.indexOf(start, from + 1) >= 0) {
    throw new Error(`trim-rrweb: the start of "${name}" (${JSON.stringify(start)}) must occur exactly once.`);
  }
  const to = code.indexOf(end, from);
  if (to < 0) {
    throw new Error(
      `trim-rrweb: the end of "${name}" (${JSON.stringify(end)}) was not found after its start.`,
    );
  }
  const text = code.slice(from, to);
  code =
    code.slice(0, from) +
    (typeof replacement === 'function' ? replacement(text) : replacement) +
    code.slice(to);
}

// Everything from the base64 helpers to the end of CanvasManager is canvas-only. What stays
// is a CanvasManager that does nothing: the mutation buffers still call these five methods.
cut(
  'canvas recorder',
  '\nvar chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";',
  '\nclass StylesheetManager {',
  '\nclass CanvasManager {\n  reset() {}\n  freeze() {}\n  unfreeze() {}\n  lock() {}\n  unlock() {}\n}',
);
// IframeManager's methods from handleMessage on serve cross-origin iframes only; the class's
// closing brace stays.
cut('cross-origin iframe relay', '\n  handleMessage(message) {', '\n}\nclass ShadowDomManager {');
// The `hooks` option (callbacks around each observer), which replaykit never passes.
cut(
  'observer hooks',
  '\nfunction mergeHooks(o, hooks) {',
  '\nfunction initObservers(',
  '\nfunction mergeHooks() {}',
);
cut('departed mirror warning', '\nconst DEPARTED_MIRROR_ACCESS_WARNING', '\nfunction throttle(');

// Not a cut, a fix: with recordCanvas, rrweb reads each canvas's image while serializing it,
// and a tainted canvas (one that drew a cross-origin image) throws there, which aborts the
// whole snapshot: the recorder could not start, and mutations adding such a canvas were lost.
// An unreadable canvas is serialized without its image instead.
cut(
  'canvas image serialization (guarded)',
  '\n  if (tagName === "canvas" && recordCanvas) {',
  '\n  if (tagName === "img" && inlineImages) {',
  (text) => `\n  try {${text}\n  } catch {\n  }`,
);

// Three options replaykit never sets (recorder.ts › startInternal): inlining <img> pixels
// into the snapshot, recording web fonts, and slimDOM's filters (with it off, a node is never
// excluded). record() refuses them instead of ignoring them; see the guard below.
cut(
  'inline images',
  '\n  if (tagName === "img" && inlineImages) {',
  '\n  if (["audio", "video"].includes(tagName)) {',
);
cut(
  'font observer',
  '\nfunction initFontObserver({ fontCb, doc }) {',
  '\nfunction initSelectionObserver(',
  '\nfunction initFontObserver() {\n  return () => {\n  };\n}',
);
cut(
  'slimDOM filters',
  '\nfunction slimDOMExcluded(sn, slimDOMOptions) {',
  '\nfunction serializeNodeWithId(',
  '\nfunction slimDOMExcluded() {\n  return false;\n}',
);
// With slimDOMOptions refused, slimDOM's defaults are always none, and snapshot() (called
// only by record(), with the input masking it worked out) never sees maskAllInputs as a boolean.
cut(
  'slimDOM presets',
  '\nfunction slimDOMDefaults(_slimDOMOptions) {',
  '\nfunction slimDOMExcluded() {',
  '\nfunction slimDOMDefaults() {\n  return {};\n}',
);
cut(
  "snapshot()'s input masking presets",
  '\n  } = options;\n  const maskInputOptions = maskAllInputs === true ? {',
  '\n  const slimDOMOptions = slimDOMDefaults(slimDOM);',
  '\n  } = options;\n  const maskInputOptions = maskAllInputs;',
);
cut(
  'guard against the trimmed options',
  '\n  mirror.reset();\n  const maskInputOptions',
  '\n  const maskInputOptions',
  (text) =>
    '\n  if (inlineImages || collectFonts || _slimDOMOptions || plugins || packFn || errorHandler2 || options.sampling || mousemoveWait || userTriggeredOnInput) {\n' +
    '    throw new Error("replaykit\'s copy of rrweb has no inlineImages, collectFonts, slimDOMOptions, plugins, packFn, errorHandler, sampling, mousemoveWait or userTriggeredOnInput (trim-rrweb.mjs)");\n' +
    `  }${text}`,
);

// rrdom's node class, bundled for one `instanceof` in hasShadowRoot: rrdom's virtual DOM is the
// replayer's, and nothing in the recorder makes or extends one, so that test is always false.
cut('rrdom node', '\nclass BaseRRNode {', '\nfunction on(type, fn, target = document) {');
cut(
  'rrdom node test',
  '\n  if (n instanceof BaseRRNode && "shadowRoot" in n) {',
  '\n  return Boolean(index.shadowRoot(n));',
  '',
);
// The id maps of cross-origin iframes: read only by the relay (cut above) and handed to
// plugins' getMirror (replaykit passes no plugins). IframeManager still makes two.
cut(
  'cross-origin iframe id maps',
  '\nclass CrossOriginIframeMirror {',
  '\nclass IframeManager {',
  '\nclass CrossOriginIframeMirror {\n}',
);
// Emitting through the parent frame: only a recorder in a cross-origin iframe with
// `recordCrossOriginIframes` (never set by replaykit) has passEmitsToParent set.
cut(
  'emits passed to the parent frame',
  '\n    } else if (passEmitsToParent) {',
  '\n    if (e.type === EventType.FullSnapshot) {',
  '\n    }',
);
// Whether record() runs in a frame that emits: only a recorder in a cross-origin iframe with
// `recordCrossOriginIframes` does not (or passes its events to the parent, cut above).
cut(
  'emitting frame check',
  '\n  const inEmittingFrame = recordCrossOriginIframes ? window.parent === window : true;',
  '\n  if (mousemoveWait !== void 0',
  '\n  const inEmittingFrame = true;\n  if (!emit) {\n    throw new Error("emit function is required");\n  }',
);
// Two of record()'s static methods replaykit never calls: its own events go through its
// pipeline (recorder.ts › pushCustom), and it never freezes the page.
cut(
  'addCustomEvent and freezePage',
  '\nrecord.addCustomEvent = (tag, payload) => {',
  '\nrecord.takeFullSnapshot = ',
);

// Three more options replaykit never passes (recorder.ts › startInternal): `plugins` (event
// processors, extra observers, mirror access), `packFn` and `errorHandler`. Without an error
// handler rrweb's callbackWrapper returns each callback as it is, so it becomes just that. The
// guard above makes record() refuse them, as it does the other three.
cut(
  'plugins and packFn on each event',
  '\n  const eventProcessor = (e) => {',
  '\n  wrappedEmit = (r, isCheckout) => {',
);
cut(
  'plugins given the mirrors',
  '\n  for (const plugin of plugins || []) {\n    if (plugin.getMirror)',
  '\n  const processedNodeManager = new ProcessedNodeManager();',
);
cut('plugin observers', '\n  const pluginHandlers = [];', '\n  return callbackWrapper(() => {');
cut('plugin observers stopped', '\n    pluginHandlers.forEach((h) => h());', '\n  });');
cut(
  'plugins handed to the observers',
  '\n          plugins: ((_a2 = plugins',
  '\n        },\n        hooks\n',
);
cut(
  'error handler',
  '\nlet errorHandler;',
  '\nconst mutationBuffers = [];',
  '\nfunction registerErrorHandler() {\n}\nfunction unregisterErrorHandler() {\n}\nconst callbackWrapper = (cb) => cb;',
);

/** Replaces `from`, which must occur exactly `times` times, with `to`. */
function swap(name, from, to, times = 1) {
  const found = code.split(from).length - 1;
  if (found !== times) {
    throw new Error(`trim-rrweb: "${name}" expects ${times} of ${JSON.stringify(from)}, found ${found}.`);
  }
  code = code.split(from).join(to);
}

// record()'s masking when `maskAllInputs` is not true: replaykit's privacy options always set it
// (privacy.ts › RrwebPrivacyOptions), so every input type is masked. A caller that passed
// anything else would get more masking, never less.
swap(
  'input masking without maskAllInputs',
  '  const maskInputOptions = maskAllInputs === true ? {\n',
  '  const maskInputOptions = {\n',
);
swap(
  'input masking without maskAllInputs, its end',
  '  } : _maskInputOptions !== void 0 ? _maskInputOptions : { password: true };\n  const slimDOMOptions',
  '  };\n  const slimDOMOptions',
);

// Three more options replaykit never passes, refused by the guard above: `sampling` (each
// observer then takes rrweb's defaults: mousemove every 50 ms, its callback every 500 ms, every
// mouse interaction, scroll and media every 100 and 500 ms, input on `input` and `change`), its
// deprecated alias `mousemoveWait`, and `userTriggeredOnInput`.
for (const [name, from, to] of [
  [
    'mousemove sampling',
    '  if (sampling.mousemove === false) {\n    return () => {\n    };\n  }\n' +
      '  const threshold = typeof sampling.mousemove === "number" ? sampling.mousemove : 50;\n' +
      '  const callbackThreshold = typeof sampling.mousemoveCallback === "number" ? sampling.mousemoveCallback : 500;\n',
    '  const threshold = 50;\n  const callbackThreshold = 500;\n',
  ],
  [
    'mouse interaction sampling',
    '  if (sampling.mouseInteraction === false) {\n    return () => {\n    };\n  }\n' +
      '  const disableMap = sampling.mouseInteraction === true || sampling.mouseInteraction === void 0 ? {} : sampling.mouseInteraction;\n',
    '',
  ],
  ['mouse interactions none disabled', ' && disableMap[key] !== false', ''],
  ['scroll sampling', '      sampling.scroll || 100', '      100'],
  ['media sampling', '      sampling.media || 500', '      500'],
  [
    'input sampling',
    'const events = sampling.input === "last" ? ["change"] : ["input", "change"];',
    'const events = ["input", "change"];',
  ],
  [
    'mousemoveWait',
    '  if (mousemoveWait !== void 0 && sampling.mousemove === void 0) {\n    sampling.mousemove = mousemoveWait;\n  }\n',
    '',
  ],
  ['userTriggered read', '    const userTriggered = event.isTrusted;\n', ''],
  [
    'userTriggered sent',
    'userTriggeredOnInput ? { text, isChecked, userTriggered } : { text, isChecked }',
    '{ text, isChecked }',
  ],
  [
    'userTriggered sent for the other radios',
    'userTriggeredOnInput ? { text: text2, isChecked: !isChecked, userTriggered: false } : { text: text2, isChecked: !isChecked }',
    '{ text: text2, isChecked: !isChecked }',
  ],
]) {
  swap(name, from, to);
}

// Not cuts, speed-ups of the full snapshot that give the same output (vendor-rrweb.browser.test.ts
// compares it with bare @rrweb/record's). In a CPU profile of repeated snapshots of a
// 10,000-element page they took a snapshot from about 169 to 97 ms:
// - children were copied with Array.from(NodeList), which walks the list through its iterator
//   (slow for DOM collections); an indexed copy takes the same snapshot of the list;
swap(
  'indexed copy of child lists',
  'for (const childN of Array.from(index.childNodes(',
  'for (const childN of copyNodeList(index.childNodes(',
  2,
);
// - each element's serialized node carried `needBlock` to its caller, which deleted it: a delete
//   turns every element's object into a slow dictionary (slow to build on and to stringify). It
//   travels beside the object instead, read right after serializeNode() returns. That is safe
//   because serializeElementNode sets it from its own local on its only way out (after the host
//   callbacks it runs, maskInputFn and keepIframeSrcFn) and the caller reads it before anything
//   else can serialize: before onSerialize, the children, the iframe and stylesheet callbacks.
//   Only an element's value is ever used. Added nodes (skipChild) do not need it; full
//   snapshots do, and so does a same-origin iframe's document, serialized whole into a
//   mutation when it loads (vendor-rrweb.browser.test.ts records with both copies at once);
swap('needBlock beside the node', '    needBlock,\n    rootId,\n', '    rootId,\n');
// - custom element names always hold a hyphen: customElements.get() is asked only for names
//   that can be one.
swap(
  'needBlock set for the caller',
  '  let isCustomElement;\n  try {\n    if (customElements.get(tagName))',
  '  lastNeedBlock = needBlock;\n  let isCustomElement;\n  try {\n    if (tagName.includes("-") && customElements.get(tagName))',
);
swap(
  'needBlock read by the caller',
  '\n  let id;\n  if (mirror2.hasNode(n)) {',
  '\n  const needBlock = lastNeedBlock;\n  let id;\n  if (mirror2.hasNode(n)) {',
);
swap(
  'needBlock no longer deleted',
  '    recordChild = recordChild && !serializedNode.needBlock;\n    delete serializedNode.needBlock;\n',
  '    recordChild = recordChild && !needBlock;\n',
);
swap(
  'helpers of the speed-ups',
  '\nexport {\n  record\n};',
  `
let lastNeedBlock = false;
function copyNodeList(list) {
  const copy = new Array(list.length);
  for (let i = 0; i < copy.length; i++) {
    copy[i] = list[i];
  }
  return copy;
}
export {
  record
};`,
);

swap(
  'events emitted as they are',
  'emit == null ? void 0 : emit(eventProcessor(e), isCheckout);',
  'emit == null ? void 0 : emit(e, isCheckout);',
);

// rrweb's seven enums are TypeScript's IIFEs, which also map each number back to its name
// (`Source[Source["Mutation"] = 0] = "Mutation"`). The recorder reads them by name only (the
// one walk over an enum's keys, MouseInteractions', skips the numeric ones), so plain object
// literals with the same names and numbers do: 0.2 KB less.
const enumPattern =
  /var (\w+) = \/\* @__PURE__ \*\/ \(\(\w+\) => \{\n((?: {2}\w+\[\w+\["[^"]+"\] = \d+\] = "[^"]+";\n)+) {2}return \w+;\n\}\)\(\1 \|\| \{\}\);/g;
let enums = 0;
code = code.replace(enumPattern, (_match, name, members) => {
  enums++;
  const entries = [...members.matchAll(/\["([^"]+)"\] = (\d+)\]/g)].map(
    ([, key, value]) => `  "${key}": ${value}`,
  );
  return `var ${name} = {\n${entries.join(',\n')}\n};`;
});
if (enums !== 7 || /\b\w+\[\w+\["[^"]+"\] = \d+\]/.test(code)) {
  throw new Error(
    `trim-rrweb: expected rrweb's 7 enums as TypeScript IIFEs, rewrote ${enums}; re-check the pattern.`,
  );
}
if (
  /\b(?!MouseInteractions\[(?:this)?[eE]ventKey\])(?:EventType|IncrementalSource|MouseInteractions|PointerTypes|CanvasContext|MediaInteractions|NodeType)\[/.test(
    code,
  )
) {
  throw new Error(
    'trim-rrweb: rrweb reads one of its enums with brackets (Enum[…]) other than MouseInteractions by its key names; if that reads a name by number, the enum needs its number-to-name half: leave it out of the rewrite.',
  );
}

for (const gone of [
  'initCanvasContextObserver',
  'BaseRRNode',
  'addCustomEvent',
  'getRemoteIdToIdMap',
  'WorkerWrapper',
  'DEPARTED_MIRROR_ACCESS_WARNING',
  'recordInlineImage',
  'originalFontFace',
  'headMetaVerification &&',
  'eventProcessor',
  'plugin.',
  'packFn(',
  'errorHandler(',
]) {
  if (code.includes(gone)) {
    throw new Error(`trim-rrweb: "${gone}" is still referenced after the cuts.`);
  }
}
if (!/\bhandleMessage\.bind\(this\)/.test(code) || !code.includes('if (this.recordCrossOriginIframes)')) {
  throw new Error(
    'trim-rrweb: the relay is no longer guarded by recordCrossOriginIframes; re-check the cut.',
  );
}

// A legal comment (`/*!`, `@license`): bundlers keep it in what they ship.
const header = `/*! @rrweb/record ${version}, trimmed by packages/recorder/scripts/trim-rrweb.mjs (generated: do not edit).
 * rrweb (https://github.com/rrweb-io/rrweb) @license MIT, copyright its contributors. */\n`;
const outDir = join(packageDir, 'src', 'vendor');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'rrweb-record.js'),
  header + code.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'),
);
