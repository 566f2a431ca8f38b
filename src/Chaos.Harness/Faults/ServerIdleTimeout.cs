using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// The server closes sessions idle longer than idle_session_timeout (managed providers set it), and
/// traffic resumes after a longer idle period. The fault is the server's setting; the nemesis only
/// marks the idle period.
/// </summary>
internal sealed class ServerIdleTimeout : IFault
{
    private static readonly TimeSpan Timeout = Timing.ServerIdleSessionTimeout;

    public string Name => "server-idle-timeout";
    public string Description => $"idle_session_timeout={Timeout.TotalSeconds:0} s closes idle sessions; traffic resumes after {Timing.IdlePeriod.TotalSeconds:0} s.";
    public Capability Needs => Capability.ServerConfiguration;

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { Server = spec.Server with { IdleSessionTimeout = Timeout } };

    public Scenario Scenario { get; } = Scenario.Of(
        new Pause(),
        new Inject(Nemesis.Mark($"idle period begins; the server closes sessions idle for {Timeout.TotalSeconds:0} s", "traffic resumes after the idle period")),
        new Hold(Timing.IdlePeriod),
        new Heal(),
        new Resume());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "the server closed the idle sessions (57P05); the pool hands them out anyway and the first requests fail")
        .When(t => t.ValidatesOnCheckout, Survived, "SELECT 1 on rent meets the closed session and rents a fresh one")
        .When(t => t.KeepsAliveWithin(Timeout), Survived, $"the keepalive query keeps every session busier than the {Timeout.TotalSeconds:0} s idle timeout")
        .When(t => t.RecyclesBefore(Timing.IdlePeriod), Survived, "after the idle period every pooled connection is past Connection Lifetime")
        .When(t => t.EvictsIdleWithin(Timeout), Survived, "the pool prunes idle connections before the server's timeout does")
        .When(t => t.ViaPgBouncer, Survived, "PgBouncer replaces the server sessions the timeout closed; its client connections are untouched")
        .When(t => !t.Pooling, Survived, "every request opens a new connection")
        .When(t => t.Retries, Survived, "the closed-session error is transient to Npgsql, so the retry runs the request again");
}
