using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Chaos.Harness.Servers.Internal;

/// <summary>
/// An initdb'd data directory, with the harness's roles and database already in it, built once
/// per (PostgreSQL build, server user) and copied for every cluster: initdb takes seconds, a copy
/// takes tens of milliseconds.
/// <code>
///   $TMP/chaos-pg-cache/&lt;key&gt;/data          the template data directory (owned by the server user)
///   $TMP/chaos-pg-cache/&lt;key&gt;/credentials   admin and app passwords
///   $TMP/chaos-pg-cache/&lt;key&gt;.lock          held while building; builds go to &lt;key&gt;.tmp-* and are renamed
/// </code>
/// </summary>
internal sealed record Template(string DataDir, string AdminUser, string AdminPassword, string AppUser, string AppPassword, string Database)
{
    public const string AdminRole = "chaos_admin";
    public const string AppRole = "chaos_app";
    public const string AppDatabase = "chaos";
}

internal static class TemplateCache
{
    public static string DefaultRoot { get; } = Path.Combine(Path.GetTempPath(), "chaos-pg-cache");

    private static readonly TimeSpan s_lockTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan s_initDbTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Counts initdb runs in this process (tests assert a second cluster reuses the template).</summary>
    public static int InitDbRuns;

    public static async Task<Template> GetAsync(PgBinaries binaries, ServerUser user, string? root, CancellationToken ct)
    {
        root ??= DefaultRoot;
        var key = await KeyAsync(binaries, user, ct);
        var dir = Path.Combine(root, key);
        if (TryLoad(dir) is { } cached) return cached;

        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(root);
            Dirs.SetMode(root, 0b1_111_111_111);
        }

        await using var _ = await LockAsync(Path.Combine(root, key + ".lock"), ct);
        if (TryLoad(dir) is { } builtMeanwhile) return builtMeanwhile;

        // We hold the lock: any half-built directory is from a process that died while building.
        foreach (var stale in Directory.GetDirectories(root, key + ".tmp-*")) Directory.Delete(stale, recursive: true);

        var building = Path.Combine(root, $"{key}.tmp-{Guid.NewGuid():N}");
        await BuildAsync(binaries, user, building, ct);
        Directory.Move(building, dir);
        return TryLoad(dir) ?? throw new InvalidOperationException($"template {dir} vanished after it was built");
    }

    private static Template? TryLoad(string dir)
    {
        var credentials = Path.Combine(dir, "credentials");
        if (!File.Exists(credentials)) return null;
        var lines = File.ReadAllLines(credentials);
        return new Template(Path.Combine(dir, "data"), Template.AdminRole, lines[0], Template.AppRole, lines[1], Template.AppDatabase);
    }

    private static async Task BuildAsync(PgBinaries binaries, ServerUser user, string dir, CancellationToken ct)
    {
        Dirs.CreatePrivate(dir);
        user.Own(dir);
        var adminPassword = NewPassword();
        var appPassword = NewPassword();
        var log = Path.Combine(dir, "initdb.log");
        var pwFile = Path.Combine(dir, "pwfile");
        await File.WriteAllTextAsync(pwFile, adminPassword + "\n", ct);
        user.Own(pwFile);

        Interlocked.Increment(ref InitDbRuns);
        var data = Path.Combine(dir, "data");
        string[] initDbArgs =
        [
            "-D", data, "-U", Template.AdminRole, $"--pwfile={pwFile}",
            "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
            "--encoding=UTF8", "--locale=C", "--no-sync",
            // 1 MB WAL segments instead of 16: the template (and every copy of it) is 16 MB smaller.
            "--wal-segsize=1",
        ];
        var exit = await ServerProcess.RunAsync(binaries.InitDb, initDbArgs, log, user, s_initDbTimeout, ct);
        if (exit != 0)
            throw new ServerSetupException($"initdb failed (exit code {exit}) building the template in {dir}:\n{LogFile.Tail(log)}");
        File.Delete(pwFile);

        // Single-user mode creates the roles without starting a server or opening a port.
        var sql = Path.Combine(dir, "setup.sql");
        await File.WriteAllTextAsync(sql,
            $"CREATE ROLE {Template.AppRole} LOGIN PASSWORD '{appPassword}';\n" +
            $"CREATE DATABASE {Template.AppDatabase} OWNER {Template.AppRole};\n" +
            // Nothing creates a database from template0 on a managed server: without it every copy of the template
            // is 7 MB (a fifth) smaller, and copying it was a sixth of a cell's CPU on the 2-core VM.
            "UPDATE pg_database SET datistemplate = false WHERE datname = 'template0';\n" +
            "DROP DATABASE template0;\n", ct);
        user.Own(sql);
        string[] singleArgs = ["--single", "-D", data, "-c", "password_encryption=scram-sha-256", "-c", "fsync=off", "postgres"];
        exit = await ServerProcess.RunAsync(binaries.Postgres, singleArgs, log, user, s_initDbTimeout, ct, stdinPath: sql);
        var output = LogFile.Tail(log, 10);
        if (exit != 0 || output.Contains("ERROR:", StringComparison.Ordinal))
            throw new ServerSetupException($"creating the harness's roles in the template {dir} failed (exit code {exit}):\n{output}");
        File.Delete(sql);

        await File.WriteAllLinesAsync(Path.Combine(dir, "credentials"), [adminPassword, appPassword], ct);
    }

    private static async Task<string> KeyAsync(PgBinaries binaries, ServerUser user, CancellationToken ct)
    {
        lock (s_keys)
            if (s_keys.TryGetValue((binaries.BinDir, user.Name), out var known)) return known;
        using var p = Process.Start(new ProcessStartInfo(binaries.Postgres, "--version") { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new ServerSetupException($"could not run {binaries.Postgres} --version");
        var version = (await p.StandardOutput.ReadToEndAsync(ct)).Trim();
        await p.WaitForExitAsync(ct);
        // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "15.18"; the hash tells builds and locations apart.
        var number = version.Split(' ').FirstOrDefault(w => w.Length > 0 && char.IsDigit(w[0])) ?? "unknown";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(version + "|" + binaries.BinDir)))[..10];
        var key = $"pg{number}-{user.Name}-{hash}-{Layout}";
        lock (s_keys) s_keys[(binaries.BinDir, user.Name)] = key;
        return key;
    }

    // Bumped whenever BuildAsync changes what a template contains, so stale caches are not reused.
    private const string Layout = "v2";

    private static readonly Dictionary<(string, string), string> s_keys = [];

    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    // FileShare.None takes an exclusive advisory lock on Unix; another process gets an IOException until we release it.
    private static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                // Root (servers as postgres) and the postgres user itself share a template: both must be able to lock it.
                Dirs.SetMode(path, 0b110_110_110);
                return stream;
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ServerSetupException($"cannot open the template lock {path} ({e.Message}); delete it or fix its permissions.", e);
            }
            catch (IOException) when (waited.Elapsed < s_lockTimeout)
            {
                await Task.Delay(100, ct);
            }
            catch (IOException e)
            {
                throw new ServerSetupException(
                    $"waited {s_lockTimeout.TotalSeconds:0}s for the template lock {path}, held by another process building the template; " +
                    "if no harness is running, delete the file.", e);
            }
        }
    }
}
