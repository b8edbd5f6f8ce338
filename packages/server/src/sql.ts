/**
 * SQL shared by the SQLite and PostgreSQL stores: both speak the same query language for
 * the session list, with only their placeholder syntax differing.
 */
import { decodeCursor, type ListSessionsOptions, SORT_COLUMNS, searchableText, urlSearchCase } from './store';

/** A query and its parameters in order. */
export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/** Escapes `%`, `_` and `\` so user text matches literally inside LIKE … ESCAPE '\'. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * Builds the session list query: filters, then the sort's keys and id (all descending),
 * then the cursor as a row-value comparison, which both databases answer from the index.
 * Selects `state` and the sort columns; one row more than the limit tells whether another
 * page exists.
 */
export function buildListQuery(
  projectId: string,
  options: ListSessionsOptions,
  placeholder: (index: number) => string,
): SqlQuery {
  const params: unknown[] = [];
  // Text is bound as both stores keep it in their searchable columns (see searchableText).
  const bind = (value: unknown) => {
    params.push(typeof value === 'string' ? searchableText(value) : value);
    return placeholder(params.length);
  };
  const sort = options.sort ?? 'newest';
  const columns = SORT_COLUMNS[sort];
  const where = [`project_id = ${bind(projectId)}`];
  if (options.userId !== undefined) {
    where.push(`user_id = ${bind(options.userId)}`);
  }
  if (options.from !== undefined) {
    where.push(`started_at >= ${bind(options.from)}`);
  }
  if (options.to !== undefined) {
    where.push(`started_at < ${bind(options.to)}`);
  }
  if (options.minDurationMs !== undefined) {
    where.push(`duration_ms >= ${bind(options.minDurationMs)}`);
  }
  if (options.maxDurationMs !== undefined) {
    where.push(`duration_ms <= ${bind(options.maxDurationMs)}`);
  }
  if (options.minActiveMs !== undefined) {
    where.push(`active_ms >= ${bind(options.minActiveMs)}`);
  }
  if (options.hasErrors !== undefined) {
    where.push(options.hasErrors ? 'error_count > 0' : 'error_count = 0');
  }
  if (options.urlContains !== undefined) {
    where.push(`urls_text LIKE ${bind(`%${escapeLike(urlSearchCase(options.urlContains))}%`)} ESCAPE '\\'`);
  }
  if (options.event !== undefined) {
    const property = options.eventProperty ?? { name: '', value: '' };
    where.push(
      // An IN list lets the planner start from the event index when the event is rare,
      // rather than probing it once per session in list order.
      `id IN (SELECT session_id FROM session_events WHERE project_id = ${bind(projectId)} AND name = ${bind(options.event)} AND property = ${bind(property.name)} AND value = ${bind(property.value)})`,
    );
  }
  if (options.cursor) {
    const after = decodeCursor(options.cursor, projectId, options);
    const keys = after.keys.map((key) => bind(key));
    where.push(`(${[...columns, 'id'].join(', ')}) < (${[...keys, bind(after.id)].join(', ')})`);
  }
  const order = [...columns, 'id'].map((column) => `${column} DESC`).join(', ');
  const sql = `SELECT state, ${columns.join(', ')} FROM sessions WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${bind(options.limit + 1)}`;
  return { sql, params };
}
