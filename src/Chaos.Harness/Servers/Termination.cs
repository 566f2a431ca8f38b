namespace Chaos.Harness.Servers;

/// <summary>
/// What happens to the servers of this process when it is told to end. By default a SIGTERM kills
/// them at once and lets the process die (a test host that is terminated leaves nothing running). A
/// host that handles SIGTERM itself, cancelling its work so every server is disposed in order (the
/// `chaos` CLI does), says so here for as long as it does, and the harness stands aside. SIGHUP and
/// SIGKILL are unaffected.
/// </summary>
internal static class Termination
{
    private static int s_hosts;

    /// <summary>True while a host has said it stops its servers itself on SIGTERM.</summary>
    public static bool IsHandledByHost => Volatile.Read(ref s_hosts) > 0;

    /// <summary>The host handles SIGTERM until the returned scope is disposed.</summary>
    public static IDisposable HandledByHost()
    {
        Interlocked.Increment(ref s_hosts);
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref s_hosts);
            }
        }
    }
}
