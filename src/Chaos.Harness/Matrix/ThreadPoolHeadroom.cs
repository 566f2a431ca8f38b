namespace Chaos.Harness.Matrix;

/// <summary>
/// Each cell simulates a separate service, but they share one process and one thread pool. Npgsql's
/// Keepalive probes synchronously on a pool thread, so a keepalive against a dark or slow connection
/// pins a thread for as long as the fault lasts; with the default minimum the pool grows by about one
/// thread a second and every other cell's timers stall. Raising the minimum keeps cells independent, as
/// separate processes would be.
/// </summary>
internal static class ThreadPoolHeadroom
{
    private const int MinThreads = 256;

    public static void Ensure()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < MinThreads || io < MinThreads)
        {
            ThreadPool.SetMinThreads(Math.Max(workers, MinThreads), Math.Max(io, MinThreads));
        }
    }
}
