using System.Runtime.InteropServices;

namespace Chaos.Harness.Servers.Internal;

internal enum UnixSignal { Int, Quit, Kill, Term, Stop, Cont }

/// <summary>
/// The few POSIX calls .NET has no API for: sending arbitrary signals (SIGSTOP/SIGCONT/SIGQUIT),
/// the effective uid, and chown.
/// </summary>
internal static class Native
{
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint SysGetEuid();

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int SysChown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int uid, int gid);

    public static bool IsRoot =>
        !OperatingSystem.IsWindows() && (SysGetEuid() == 0 || Environment.UserName == "root");

    /// <summary>Sends a signal; false when the process no longer exists.</summary>
    public static bool Signal(int pid, UnixSignal signal)
    {
        if (pid <= 0) throw new ArgumentOutOfRangeException(nameof(pid), pid, "refusing to signal a process group");
        return SysKill(pid, Number(signal)) == 0;
    }

    public static void Chown(string path, int uid, int gid)
    {
        if (SysChown(path, uid, gid) != 0)
            throw new IOException($"chown {uid}:{gid} {path} failed (errno {Marshal.GetLastPInvokeError()})");
    }

    // Signal numbers differ between Linux and the BSDs (macOS) for STOP/CONT.
    private static int Number(UnixSignal signal) => signal switch
    {
        UnixSignal.Int => 2,
        UnixSignal.Quit => 3,
        UnixSignal.Kill => 9,
        UnixSignal.Term => 15,
        UnixSignal.Stop => OperatingSystem.IsMacOS() ? 17 : 19,
        UnixSignal.Cont => OperatingSystem.IsMacOS() ? 19 : 18,
        _ => throw new ArgumentOutOfRangeException(nameof(signal)),
    };
}
