using System.Diagnostics;

namespace Chaos.Harness.Servers.Internal;

/// <summary>
/// Launches a server binary as the server user with stdout and stderr appended to a log file.
/// <code>
///   harness --fork--> sh -c 'exec "$@" >>log' --exec--> setpriv --exec--> postgres
/// </code>
/// The redirection is done by the shell, so the log is written by the kernel, not pumped by the
/// harness: a server keeps logging (and never blocks on a full pipe) even if the harness dies.
/// Both execs keep the pid, so with setpriv the launched pid is the server's pid.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process) => _process = process;

    public int LaunchedPid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static ServerProcess Start(string exe, IEnumerable<string> args, string logPath, ServerUser user, string? stdinPath = null)
    {
        // The log may hold connection details: readable by the harness's user alone. The shell below
        // appends to it as that user and hands the open file to the server.
        if (!File.Exists(logPath))
        {
            using (File.Create(logPath)) { }
            Dirs.SetMode(logPath, 0b110_000_000);
        }
        // A neutral working directory: the server user may not be allowed into the harness's own.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" >>\"$CHAOS_LOG\" 2>&1 <\"$CHAOS_STDIN\"");
        psi.ArgumentList.Add("chaos-server");
        foreach (var a in user.CommandPrefix) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(exe);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CHAOS_LOG"] = logPath;
        psi.Environment["CHAOS_STDIN"] = stdinPath ?? "/dev/null";
        // The server must not pick up the user's PG* environment (PGDATA, PGPORT, PGOPTIONS...).
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        return new ServerProcess(Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}"));
    }

    /// <summary>Runs a tool (initdb, postgres --single) to completion; returns its exit code.</summary>
    public static async Task<int> RunAsync(
        string exe, IEnumerable<string> args, string logPath, ServerUser user, TimeSpan timeout, CancellationToken ct, string? stdinPath = null)
    {
        using var process = Start(exe, args, logPath, user, stdinPath);
        if (!await process.WaitForExitAsync(timeout, ct))
        {
            process.KillTree();
            throw new ServerSetupException(
                $"{Path.GetFileName(exe)} did not finish within {timeout.TotalSeconds:0}s. Log {logPath}:\n{LogFile.Tail(logPath)}");
        }
        return process.ExitCode;
    }

    /// <summary>True when the process exited within the timeout. Cancellation kills nothing: the caller owns cleanup.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public void KillTree() => ProcessKiller.KillTree(_process.Id);

    public void Dispose() => _process.Dispose();
}

internal static class ProcessKiller
{
    /// <summary>SIGCONT then SIGKILL a process and all its descendants (a stopped process cannot die cleanly otherwise).</summary>
    public static void KillTree(int root)
    {
        var all = new List<int> { root };
        all.AddRange(ProcessTree.Descendants(root));
        foreach (var pid in all) Native.Signal(pid, UnixSignal.Cont);
        foreach (var pid in all) Native.Signal(pid, UnixSignal.Kill);
    }
}

internal static class LogFile
{
    /// <summary>The last lines of a log (from <paramref name="fromOffset"/>), for error messages.</summary>
    public static string Tail(string? path, int lines = 25, long fromOffset = 0)
    {
        if (path is null || !File.Exists(path)) return "(no log)";
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Max(fromOffset, stream.Length - 64 * 1024), SeekOrigin.Begin);
            var text = new StreamReader(stream).ReadToEnd();
            var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return all.Length == 0 ? "(log empty)" : string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e) { return $"(log unreadable: {e.Message})"; }
    }

    public static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    public static async Task<string> ReadAsync(string path, long fromOffset, CancellationToken ct)
    {
        if (!File.Exists(path)) return "";
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, useAsync: true);
        stream.Seek(Math.Min(fromOffset, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(ct);
    }
}

/// <summary>Polling with a deadline: every wait in the harness is bounded and says what it waited for.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan interval, Func<string> describeFailure, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (await condition()) return;
            if (deadline.Elapsed > timeout) throw new ServerSetupException(describeFailure());
            await Task.Delay(interval, ct);
        }
    }
}

/// <summary>Unix file modes, guarded so the library still builds (and attach mode still runs) on Windows.</summary>
internal static class Dirs
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>0700: postgres refuses a data directory others can read.</summary>
    public static void CreatePrivate(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, Private);
    }

    public static void SetMode(string path, int octal)
    {
        if (OperatingSystem.IsWindows()) return;
        try { File.SetUnixFileMode(path, (UnixFileMode)octal); }
        catch (UnauthorizedAccessException) { /* someone else's directory: leave its mode alone */ }
    }
}
