using System.Diagnostics;

namespace Chaos.Harness.Servers.Internal;

/// <summary>Where the PostgreSQL server binaries live.</summary>
internal sealed record PgBinaries(string BinDir)
{
    public string Postgres => Exe("postgres");
    public string InitDb => Exe("initdb");
    public string BaseBackup => Exe("pg_basebackup");

    private string Exe(string name) => Path.Combine(BinDir, OperatingSystem.IsWindows() ? name + ".exe" : name);

    /// <summary>
    /// CHAOS_PG_BIN, then <c>pg_config --bindir</c> on PATH, then the usual install locations (newest version first).
    /// <paramref name="env"/> is the environment lookup, so tests can run the search without touching the process environment.
    /// </summary>
    public static PgBinaries Locate(Func<string, string?> env, IEnumerable<string>? usualLocations = null)
    {
        if (env("CHAOS_PG_BIN") is { Length: > 0 } configured)
        {
            return HasServer(configured)
                ? new PgBinaries(configured)
                : throw new ServerSetupException(
                    $"CHAOS_PG_BIN is '{configured}', but that directory has no {ServerExeNames}. " +
                    "Point CHAOS_PG_BIN at the bin directory of a PostgreSQL server installation " +
                    "(Debian: /usr/lib/postgresql/<version>/bin), or unset it to search the usual locations.");
        }

        var searched = new List<string> { "CHAOS_PG_BIN (not set)" };
        if (FindOnPath("pg_config", env) is { } pgConfig)
        {
            var dir = PgConfigBinDir(pgConfig);
            searched.Add($"pg_config --bindir ({pgConfig} -> {dir ?? "failed"})");
            if (dir is not null && HasServer(dir)) return new PgBinaries(dir);
        }
        else searched.Add("pg_config on PATH (not found)");

        foreach (var dir in usualLocations ?? UsualLocations())
        {
            searched.Add(dir);
            if (HasServer(dir)) return new PgBinaries(dir);
        }

        throw new ServerSetupException(
            $"PostgreSQL server binaries ({ServerExeNames}) not found. Searched: {string.Join("; ", searched)}. " +
            "Install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql; " +
            "Windows: the EDB installer) or set CHAOS_PG_BIN to the directory holding postgres and initdb.");
    }

    private const string ServerExeNames = "postgres and initdb";

    private static bool HasServer(string dir) =>
        new PgBinaries(dir) is var b && File.Exists(b.Postgres) && File.Exists(b.InitDb);

    private static IEnumerable<string> UsualLocations()
    {
        IEnumerable<string> Versioned(string parent, string pattern, Func<string, string> bin) =>
            !Directory.Exists(parent)
                ? []
                : Directory.GetDirectories(parent, pattern)
                    .OrderByDescending(d => VersionOf(Path.GetFileName(d)))
                    .Select(bin);

        if (OperatingSystem.IsWindows())
            return Versioned(@"C:\Program Files\PostgreSQL", "*", d => Path.Combine(d, "bin"));

        return Versioned("/usr/lib/postgresql", "*", d => Path.Combine(d, "bin"))
            .Append("/usr/local/pgsql/bin")
            .Concat(Versioned("/opt/homebrew/opt", "postgresql*", d => Path.Combine(d, "bin")))
            .Concat(Versioned("/usr/local/opt", "postgresql*", d => Path.Combine(d, "bin")));
    }

    // "15", "postgresql@16", "postgresql" -> comparable numbers, so 16 sorts before 9.6.
    private static Version VersionOf(string name)
    {
        var digits = new string(name.SkipWhile(c => !char.IsDigit(c)).ToArray());
        return Version.TryParse(digits.Contains('.') ? digits : digits + ".0", out var v) ? v : new Version(0, 0);
    }

    internal static string? FindOnPath(string exe, Func<string, string?> env)
    {
        var names = OperatingSystem.IsWindows() ? new[] { exe + ".exe", exe } : [exe];
        foreach (var dir in (env("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in names)
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    // Asked once per pg_config: on Debian it is a script that starts three more processes, and a server starts
    // for every cell (each process creation costs milliseconds of CPU on a small VM).
    // Lazy: ten cells starting at once would otherwise each run it before the first answer is stored.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string?>> s_pgConfigBinDirs = new();

    private static string? PgConfigBinDir(string pgConfig) =>
        s_pgConfigBinDirs.GetOrAdd(pgConfig, path => new Lazy<string?>(() => AskPgConfig(path))).Value;

    private static string? AskPgConfig(string pgConfig)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(pgConfig, "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true });
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd().Trim();
            return p.WaitForExit(10_000) && p.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}

/// <summary>Where the pgbouncer binary lives.</summary>
internal static class PgBouncerBinary
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> s_versions = new();

    /// <summary>"1.18.0", from the first line of <c>pgbouncer --version</c> ("PgBouncer 1.18.0"); asked once per binary.</summary>
    public static string Version(string exe) => s_versions.GetOrAdd(exe, static path =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(path, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (p is null) return "?";
            var first = p.StandardOutput.ReadLine() ?? "";
            p.WaitForExit(5000);
            return first.StartsWith("PgBouncer ", StringComparison.Ordinal) ? first["PgBouncer ".Length..].Trim() : first.Trim();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "?";
        }
    });

    public static string Locate(Func<string, string?> env, IReadOnlyList<string>? usualLocations = null)
    {
        if (env("CHAOS_PGBOUNCER") is { Length: > 0 } configured)
            return File.Exists(configured)
                ? configured
                : throw new ServerSetupException($"CHAOS_PGBOUNCER is '{configured}', but no such file exists. Point it at the pgbouncer executable or unset it.");

        var usual = usualLocations ?? ["/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer", "/usr/local/bin/pgbouncer", "/opt/homebrew/bin/pgbouncer", "/usr/bin/pgbouncer"];
        return PgBinaries.FindOnPath("pgbouncer", env)
            ?? usual.FirstOrDefault(File.Exists)
            ?? throw new ServerSetupException(
                $"PgBouncer not found (searched PATH, {string.Join(", ", usual)}). Install it: " +
                "apt-get install pgbouncer (Debian/Ubuntu; then stop the service it starts: service pgbouncer stop), " +
                "or brew install pgbouncer (macOS); or set CHAOS_PGBOUNCER to the executable.");
    }
}

/// <summary>psql, for PgBouncer's admin console (simple query protocol only).</summary>
internal static class PsqlBinary
{
    public static string Locate(Func<string, string?> env)
    {
        var exe = OperatingSystem.IsWindows() ? "psql.exe" : "psql";
        try
        {
            var next = Path.Combine(PgBinaries.Locate(env).BinDir, exe);
            if (File.Exists(next)) return next;
        }
        catch (ServerSetupException) { /* attached mode without local server binaries: PATH may still have psql */ }
        return PgBinaries.FindOnPath("psql", env)
            ?? throw new ServerSetupException(
                "PgBouncer's admin console (SHOW POOLS) is read with psql, which was found neither next to the PostgreSQL " +
                "binaries nor on PATH. Install the client: apt-get install postgresql-client (or brew install libpq).");
    }
}

/// <summary>psql --csv output (RFC 4180: quoted fields may hold commas, quotes and newlines) to rows.</summary>
internal static class Csv
{
    public static IReadOnlyList<IReadOnlyDictionary<string, object?>> Parse(string text)
    {
        var records = Records(text).ToList();
        if (records.Count == 0) return [];
        var header = records[0];
        return records.Skip(1)
            .Select(r => (IReadOnlyDictionary<string, object?>)header
                .Select((name, i) => (name, value: i < r.Count ? Value(r[i]) : null))
                .ToDictionary(p => p.name, p => p.value))
            .ToList();
    }

    private static object? Value(string field) =>
        field.Length == 0 ? null : long.TryParse(field, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : field;

    private static IEnumerable<List<string>> Records(string text)
    {
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                yield return record;
                record = [];
            }
            else if (c != '\r') field.Append(c);
        }
        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            yield return record;
        }
    }
}
