using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Chaos.Harness.Servers.Internal;

/// <summary>
/// Crash-safe bookkeeping of every server this process starts:
/// <code>
///   /dev/shm/chaos-runs/&lt;run-id&gt;/owner.pid      "pid starttime" of the harness process
///   /dev/shm/chaos-runs/&lt;run-id&gt;/pg-1/          a cluster (data dir inside), 0700, owned by the server user
///   /dev/shm/chaos-runs/&lt;run-id&gt;/pg-1.pid       its postmaster pid
///   /dev/shm/chaos-runs/&lt;run-id&gt;/pg-1.log       its log (kept until the next run reaps this one)
/// </code>
/// A run whose owner is gone (pid dead, or reused by another process) is reaped: its servers are
/// killed and its directory deleted. A process is only ever killed when its command line names the
/// dead run's directory, so nothing that is not ours can be hit.
/// </summary>
internal sealed class RunRegistry
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static RunRegistry? s_current;
    private static readonly TimeSpan s_quitGrace = TimeSpan.FromSeconds(3);

    private readonly ConcurrentDictionary<string, Action> _live = new();
    private int _counter;

    private RunRegistry(string runDir)
    {
        RunDir = runDir;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAllLive();
        if (Volatile.Read(ref s_signalCleanup)) InstallSignalHandlers();
    }

    // Held so the registrations live as long as the registry.
    private PosixSignalRegistration[] _signals = [];
    private static bool s_signalCleanup;

    /// <summary>
    /// Kill this process's servers on SIGTERM and SIGHUP too, not only at a normal exit. Signal handlers are
    /// process-wide state, so only a host that asks gets them (the `chaos` CLI and the harness's own test
    /// host do; a library user opts in through the testing API): a user's test host keeps its own handling.
    /// Idempotent; applies to the registry whether or not it exists yet.
    /// </summary>
    public static void EnableSignalCleanup()
    {
        Volatile.Write(ref s_signalCleanup, true);
        s_gate.Wait();
        try { s_current?.InstallSignalHandlers(); }
        finally { s_gate.Release(); }
    }

    // ProcessExit does not run when the process is terminated by a signal; these do, and then let
    // the default action (termination) go ahead. SIGKILL cannot be caught: that is what reaping is for.
    private void InstallSignalHandlers()
    {
        if (OperatingSystem.IsWindows() || _signals.Length > 0) return;
        _signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => { if (!Termination.IsHandledByHost) KillAllLive(); }),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => KillAllLive()),
        ];
    }

    /// <summary>
    /// /dev/shm when there is one: copying a template data directory into tmpfs takes a tenth of the
    /// time a disk-backed /tmp takes, and nothing here needs to survive a reboot.
    /// </summary>
    public static string RunsRoot { get; } =
        Path.Combine(OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "chaos-runs");

    public string RunDir { get; }

    /// <summary>This run's id, its directory's name: containers carry it as the label chaos.run.</summary>
    public string RunId => Path.GetFileName(RunDir);

    /// <summary>
    /// Whether the run <paramref name="runId"/> is still going: its directory exists and its owner lives. A run
    /// whose directory is gone was reaped or ended, so whatever still carries its id is left over.
    /// </summary>
    public static bool IsLive(string runId)
    {
        var dir = Path.Combine(RunsRoot, runId);
        try { return Directory.Exists(dir) && !IsOrphan(dir); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return true; /* another user's run: theirs to judge */ }
    }

    /// <summary>The registry of this process; the first call reaps what killed runs left behind.</summary>
    public static async Task<RunRegistry> GetAsync(CancellationToken ct)
    {
        if (s_current is { } current) return current;
        await s_gate.WaitAsync(ct);
        try
        {
            if (s_current is not null) return s_current;
            await ReapOrphansAsync(ct);
            s_current = new RunRegistry(CreateRunDir());
            return s_current;
        }
        finally { s_gate.Release(); }
    }

    /// <summary>A fresh directory for one server, 0700 and owned by the server user.</summary>
    public string NewServerDir(string kind, ServerUser user)
    {
        var name = $"{kind}-{Interlocked.Increment(ref _counter)}";
        var dir = Path.Combine(RunDir, name);
        Dirs.CreatePrivate(dir);
        user.Own(dir);
        return dir;
    }

    public void RecordPid(string serverDir, int pid) => File.WriteAllText(serverDir + ".pid", pid.ToString());

    /// <summary>Registers a last-resort kill for process exit (normal exit, SIGTERM) while the server lives.</summary>
    public void Register(string serverDir, Action kill) => _live[serverDir] = kill;

    public void Unregister(string serverDir)
    {
        _live.TryRemove(serverDir, out _);
        File.Delete(serverDir + ".pid");
    }

    private void KillAllLive()
    {
        foreach (var dir in _live.Keys)
        {
            // Removed first: a signal handler and ProcessExit may both get here.
            if (!_live.TryRemove(dir, out var kill)) continue;
            try { kill(); } catch (Exception) { /* process exit: best effort, the next run reaps the rest */ }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string CreateRunDir()
    {
        EnsureRoot();
        var runId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}";
        var final = Path.Combine(RunsRoot, runId);
        // Built under a temporary name and renamed, so a concurrent reaper never sees a run without its owner.
        var building = final + ".tmp";
        Directory.CreateDirectory(building);
        // 0711: server users traverse to their own 0700 directories; nobody else lists the run or reads its logs.
        Dirs.SetMode(building, 0b111_001_001);
        File.WriteAllText(Path.Combine(building, "owner.pid"), $"{Environment.ProcessId} {ProcessTree.StartTime(Environment.ProcessId)}");
        Directory.Move(building, final);
        return final;
    }

    private static void EnsureRoot()
    {
        if (Directory.Exists(RunsRoot)) return;
        Directory.CreateDirectory(RunsRoot);
        // World-writable and sticky like /tmp: root and non-root runs share it, and reap only what they may.
        Dirs.SetMode(RunsRoot, 0b1_111_111_111);
    }

    /// <summary>Reaps every run whose owner is gone. Returns how many runs were reaped.</summary>
    public static async Task<int> ReapOrphansAsync(CancellationToken ct)
    {
        if (!Directory.Exists(RunsRoot) || !OperatingSystem.IsLinux()) return 0;
        var reaped = 0;
        foreach (var runDir in Directory.GetDirectories(RunsRoot))
        {
            bool orphan;
            try { orphan = IsOrphan(runDir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; /* vanished, or not ours to read */ }
            if (!orphan) continue;
            try
            {
                await ReapRunAsync(runDir, ct);
                reaped++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* raced with another reaper */ }
        }
        // A dead run's database hosts (namespaces, links, their nft tables) go with its servers, whether or not
        // this run builds hosts itself. Only root can remove them; a non-root run leaves them to the next root run.
        if (Native.IsRoot)
        {
            await Network.Kernel.KernelNetworkReaper.ReapAsync(Network.Kernel.KernelNetworkReaper.IsRunAlive, ct);
        }
        return reaped;
    }

    private static bool IsOrphan(string runDir)
    {
        if (runDir.EndsWith(".tmp", StringComparison.Ordinal))
            return Directory.GetCreationTimeUtc(runDir) < DateTime.UtcNow.AddMinutes(-1);
        var ownerFile = Path.Combine(runDir, "owner.pid");
        if (!File.Exists(ownerFile)) return true;
        var parts = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || !int.TryParse(parts[0], out var pid)) return true;
        if (!ProcessTree.IsAlive(pid)) return true;
        // Same pid, different start time: the pid was reused by an unrelated process.
        return parts.Length > 1 && long.TryParse(parts[1], out var started) && ProcessTree.StartTime(pid) != started;
    }

    private static async Task ReapRunAsync(string runDir, CancellationToken ct)
    {
        var marker = runDir + Path.DirectorySeparatorChar;
        bool Ours(int pid) => ProcessTree.CommandLine(pid) is { } cmd && cmd.Contains(marker, StringComparison.Ordinal);

        var roots = new HashSet<int>();
        foreach (var pidFile in Directory.GetFiles(runDir, "*.pid"))
            if (Path.GetFileName(pidFile) != "owner.pid" && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && Ours(pid))
                roots.Add(pid);
        // Servers whose pid was not recorded yet (the run died during startup) are found by command line.
        foreach (var pid in ProcessTree.AllPids())
            if (pid != Environment.ProcessId && Ours(pid)) roots.Add(pid);

        await StopTreesAsync(roots, ct);
        try { Directory.Delete(runDir, recursive: true); }
        catch (IOException) { /* another process is reaping it at the same time */ }
        catch (UnauthorizedAccessException) { /* another user's run: theirs to reap */ }
    }

    /// <summary>
    /// SIGCONT (a frozen server cannot shut down), SIGQUIT (postgres: immediate shutdown that still
    /// frees its shared memory), then SIGKILL whatever is left after a short grace.
    /// </summary>
    internal static async Task StopTreesAsync(IReadOnlyCollection<int> roots, CancellationToken ct)
    {
        var trees = roots.ToDictionary(r => r, r => ProcessTree.Descendants(r));
        foreach (var (root, children) in trees)
        {
            foreach (var pid in children.Prepend(root)) Native.Signal(pid, UnixSignal.Cont);
            Native.Signal(root, UnixSignal.Quit);
        }
        var grace = Stopwatch.StartNew();
        while (trees.Keys.Any(ProcessTree.IsAlive) && grace.Elapsed < s_quitGrace)
            await Task.Delay(20, ct);
        foreach (var (root, children) in trees)
            foreach (var pid in children.Prepend(root))
                if (ProcessTree.IsAlive(pid)) Native.Signal(pid, UnixSignal.Kill);
    }
}
