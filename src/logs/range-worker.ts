/**
 * The worker thread of a parallel range (range.ts): count the range, post the snapshot back (the
 * Bloom filters' buffers are transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { countRange, type RangeJob } from './range.js';

const r = await countRange(workerData as RangeJob);
parentPort?.postMessage(r, r.ok ? [r.snapshot.bornQids.buffer as ArrayBuffer, r.snapshot.bornSessions.buffer as ArrayBuffer] : []);
