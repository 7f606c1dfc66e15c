// The agent's plan steps, told to disco for its event ring (`scs events`): gathered for a moment and
// sent a service at a time, at most MAX_REPORT_STEPS a request. A record of the past, so nothing is
// retried: what disco refuses (its rate per session) or misses (no connection) is only logged, and
// the queue is bounded, so a disco that is away costs the agent nothing but the steps it misses.

import type { ConsolaInstance } from 'consola';
import type { ReportedStep } from '../client/events.ts';
import { MAX_REPORT_STEPS } from '../protocol/messages.ts';
import { formatStep, type Step } from './plan.ts';
import { stepReason } from './step-reason.ts';

/** Steps waiting to be sent, at most; more are left out until the next send. */
export const MAX_QUEUED_STEPS = 256;
const MAX_DETAIL = 512;

export type SendReport = (service: string, steps: ReportedStep[]) => Promise<void>;

export class StepReporter {
  private readonly queued = new Map<string, ReportedStep[]>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: SendReport,
    private readonly logger: ConsolaInstance,
    private readonly delayMs = 100,
  ) {}

  /** One step run on `service` (`service.stack.environment`), `short` its name in the stack; on which instance, from 2 on. */
  add(service: string, short: string, step: Step, ok: boolean, error?: string, instance = 1): void {
    if (this.count >= MAX_QUEUED_STEPS) return void this.logger.debug(`${short}: not told to disco (too many steps wait): ${step.kind}`);
    const text = `${instance > 1 ? `instance ${instance}: ` : ''}${formatStep(short, step).slice(short.length + 2)}`;
    const detail = (error === undefined ? text : `${text}: ${error}`).slice(0, MAX_DETAIL);
    const reported: ReportedStep = { kind: step.kind === 'liveupdate' ? 'liveupdate' : 'step', reason: stepReason(step), detail, ok };
    const steps = this.queued.get(service);
    if (steps) steps.push(reported);
    else this.queued.set(service, [reported]);
    this.count++;
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
    this.timer.unref();
  }

  /** Sends what waits now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [service, steps] of this.queued) {
      for (let at = 0; at < steps.length; at += MAX_REPORT_STEPS) {
        this.send(service, steps.slice(at, at + MAX_REPORT_STEPS)).catch((error: Error) =>
          this.logger.debug(`steps of ${service} not told to disco: ${error.message}`),
        );
      }
    }
    this.queued.clear();
    this.count = 0;
  }
}
