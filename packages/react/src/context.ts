'use client';

import { createContext } from 'react';
import type { RecordingHandle } from './recording-handle';

/** Carries the provider's stable handle to hooks, wrappers and the error boundary. */
export const RecordingContext = createContext<RecordingHandle | null>(null);
