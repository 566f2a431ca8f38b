using Chaos.Harness.Servers.Internal;
using Npgsql;

namespace Chaos.Harness.Servers;

public sealed partial class PostgresCluster
{
    /// <summary>True when CHAOS_PG_ADMIN points the harness at an existing server instead of starting its own.</summary>
    public static bool IsAttachConfigured => Environment.GetEnvironmentVariable("CHAOS_PG_ADMIN") is { Length: > 0 };

    /// <summary>
    /// SIGSTOP only the backends that match, leaving the postmaster and every other session running: their
    /// sockets stay open and swallow requests (the kernel still ACKs), as connections a middlebox forgot.
    /// Returns the frozen pids for <see cref="TerminateAndThawBackendsAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<int>> FreezeBackendsAsync(BackendSelector selector, CancellationToken ct = default)
    {
        EnsureManaged("freeze backends");
        EnsureNotFrozen("freeze backends");
        var pids = new List<int>();
        await using (var conn = await OpenAdminAsync(ct))
        await using (var cmd = new NpgsqlCommand($"SELECT pid FROM pg_stat_activity WHERE {Where(selector)}", conn))
        {
            AddParameters(cmd, selector);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                pids.Add(reader.GetInt32(0));
            }
        }
        var ours = ProcessTree.Descendants(_postmasterPid).ToHashSet();
        return [.. pids.Where(pid => ours.Contains(pid) && Native.Signal(pid, UnixSignal.Stop))];
    }

    /// <summary>
    /// Ends backends frozen by <see cref="FreezeBackendsAsync"/>: SIGTERM while still stopped, then SIGCONT,
    /// so each dies (57P01) before it can answer a request that was swallowed while it was dark.
    /// </summary>
    public Task TerminateAndThawBackendsAsync(IReadOnlyList<int> pids, CancellationToken ct = default)
    {
        if (pids.Count == 0 || _managed is null)
        {
            return Task.CompletedTask;
        }
        ct.ThrowIfCancellationRequested();
        var ours = ProcessTree.Descendants(_postmasterPid).ToHashSet();
        foreach (var pid in pids.Where(ours.Contains))
        {
            Native.Signal(pid, UnixSignal.Term);
            Native.Signal(pid, UnixSignal.Cont);
        }
        return Task.CompletedTask;
    }
}
