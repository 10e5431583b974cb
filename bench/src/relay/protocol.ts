/** Messages between the benchmark and its relay process (IPC). */

/** From the benchmark to the relay process. */
export type ToRelay = { readonly type: 'stats'; readonly id: number; readonly gc: boolean } | { readonly type: 'close' };

/** The relay process's answer to `stats`. */
export interface RelayStats {
  readonly type: 'stats';
  readonly id: number;
  /** When the relay read these (`performance.timeOrigin + performance.now()`, ms). */
  readonly at: number;
  readonly memory: NodeJS.MemoryUsage;
  /** Cumulative CPU time, µs. */
  readonly cpu: NodeJS.CpuUsage;
  /** Cumulative event-loop idle and active time, ms. */
  readonly elu: { readonly idle: number; readonly active: number };
}
