import { defineRunbook } from '../src/core/runbook.ts';
import { checkServerStep, verifyServiceStep } from '../src/steps/common-steps.ts';

/**
 * The seed's "Service crashes": confirm the service is down and the
 * database is not the cause, restart the service, and check it answers.
 */
export default defineRunbook({
  id: 'service-crash',
  title: 'The service crashed',
  summary:
    'Use when the service stops answering (connection refused at its port) while the database is fine. Restart it the way it is deployed, then check its health; look for the cause (OOM kill, panic) afterwards.',
  steps: [
    {
      id: 'check-service-process',
      title: 'Check whether the service process is running',
      why: 'Connection refused at the service port means no process listens there: it crashed or was killed. Kubernetes shows it as CrashLoopBackOff or OOMKilled; systemd as failed.',
      expect: 'The service is not running.',
      command: { kind: 'action', text: 'is the service process running? (the drill supervises it; in production: kubectl get pods, systemctl status)' },
      manual: 'Check the service instances: `kubectl get pods -l app=payments-service` (look for CrashLoopBackOff, OOMKilled) or `systemctl status payments-service`.',
      timeoutMs: 10_000,
      async run(ctx) {
        if (!ctx.service) throw new Error('no service process in this session: follow the manual instructions');
        ctx.output(ctx.service.isRunning() ? `the service is running (pid ${ctx.service.pid})` : 'the service is not running');
      },
    },
    checkServerStep('A service that crashes at start because its database is gone will crash again after a restart: rule the database out first.'),
    {
      id: 'restart-service',
      title: 'Restart the service',
      why: 'A crashed process does not come back by itself unless a supervisor restarts it. Restarting is safe for this service: every write it acknowledged was committed before the answer, so nothing acknowledged is lost.',
      expect: 'A new service process listens on the same address.',
      command: { kind: 'action', text: 'restart the service process (the drill supervises it; in production: kubectl rollout restart, systemctl restart)' },
      manual: 'Restart it: `kubectl rollout restart deployment/payments-service`, or `systemctl restart payments-service`.',
      destructive: { touches: 'the payments service process' },
      timeoutMs: 30_000,
      async run(ctx) {
        if (!ctx.service) throw new Error('no service process in this session: follow the manual instructions');
        await ctx.service.restart();
        ctx.output(`service restarted (pid ${ctx.service.pid})`);
      },
    },
    verifyServiceStep('GET /health answers 200.'),
  ],
});
