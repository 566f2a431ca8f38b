using System.Runtime.InteropServices;

namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// Runs a little work inside a network namespace without starting a process: a dedicated thread
/// enters the namespace with setns(2), does the work, and leaves. The network namespace is a property
/// of the thread, so nothing else in the process is affected, and what the work creates keeps the
/// namespace it was created in: a socket stays inside (a listener on the database host's address),
/// a /proc/sys/net file opened there reads and writes the namespace's own sysctls.
/// </summary>
internal static class NamespaceThread
{
    private const int CloneNewNet = 0x40000000;
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SysSetNs(int fd, int nstype);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int SysOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int SysClose(int fd);

    public static string PathOf(string netns) => Path.Combine("/var/run/netns", netns);

    public static Task<T> RunAsync<T>(string netns, Func<T> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { done.SetResult(Inside(netns, work)); }
            catch (Exception e) { done.SetException(e); }
        })
        {
            IsBackground = true,
            Name = $"netns {netns}",
        };
        thread.Start();
        return done.Task.WaitAsync(ct);
    }

    public static Task RunAsync(string netns, Action work, CancellationToken ct) =>
        RunAsync(netns, () => { work(); return true; }, ct);

    private static T Inside<T>(string netns, Func<T> work)
    {
        var own = Open("/proc/thread-self/ns/net");
        try
        {
            var target = Open(PathOf(netns));
            try { Enter(target, netns); }
            finally { SysClose(target); }
            try { return work(); }
            finally
            {
                // The thread ends right after this, so a failed return cannot leak the namespace into other
                // work; it would still mean something is badly wrong, and the caller must hear about it.
                Enter(own, "the harness's own network namespace");
            }
        }
        finally { SysClose(own); }
    }

    private static int Open(string path)
    {
        var fd = SysOpen(path, ReadOnly | CloseOnExec);
        if (fd < 0)
            throw new KernelNetworkException($"cannot open {path} (errno {Marshal.GetLastPInvokeError()}): the network namespace does not exist or is not ours to enter");
        return fd;
    }

    private static void Enter(int fd, string what)
    {
        if (SysSetNs(fd, CloneNewNet) != 0)
            throw new KernelNetworkException($"setns into {what} failed (errno {Marshal.GetLastPInvokeError()}); entering a network namespace needs CAP_SYS_ADMIN");
    }

    /// <summary>Reads a sysctl of the namespace the calling thread is in, e.g. <c>net/netfilter/nf_conntrack_tcp_loose</c>.</summary>
    public static string ReadSysctl(string key) => File.ReadAllText(Path.Combine("/proc/sys", key)).Trim();

    /// <summary>Writes a sysctl of the namespace the calling thread is in.</summary>
    public static void WriteSysctl(string key, string value)
    {
        // Opened for writing without truncation or creation: procfs files are not regular files.
        using var stream = new FileStream(Path.Combine("/proc/sys", key), FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(value + "\n"));
    }

    /// <summary>For settings of an optional kernel part (IPv6 may be compiled out or disabled at boot).</summary>
    public static void WriteSysctlIfPresent(string key, string value)
    {
        if (File.Exists(Path.Combine("/proc/sys", key))) WriteSysctl(key, value);
    }
}
