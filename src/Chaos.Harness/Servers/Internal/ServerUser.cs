namespace Chaos.Harness.Servers.Internal;

/// <summary>
/// Who the server processes run as. initdb, postgres and pgbouncer all refuse to run as root, so a
/// root harness drops to an unprivileged user (default <c>postgres</c>, or CHAOS_PG_USER) for them.
/// </summary>
internal sealed record ServerUser(string Name, int Uid, int Gid, IReadOnlyList<string> CommandPrefix)
{
    public bool IsDropped => CommandPrefix.Count > 0;

    public static ServerUser Detect(Func<string, string?> env)
    {
        if (!Native.IsRoot) return new ServerUser(Environment.UserName, -1, -1, []);

        var name = env("CHAOS_PG_USER") is { Length: > 0 } configured ? configured : "postgres";
        var entry = File.Exists("/etc/passwd")
            ? File.ReadLines("/etc/passwd").Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 3 && f[0] == name)
            : null;
        if (entry is null)
            throw new ServerSetupException(
                $"The harness runs as root, and PostgreSQL and PgBouncer refuse to run as root, so it runs them as an " +
                $"unprivileged user; but user '{name}' does not exist. Create it (useradd --system --home-dir /var/lib/postgresql postgres), " +
                "set CHAOS_PG_USER to an existing unprivileged user, or run the harness as a non-root user.");
        var (uid, gid) = (int.Parse(entry[2]), int.Parse(entry[3]));
        if (uid == 0)
            throw new ServerSetupException($"CHAOS_PG_USER '{name}' is uid 0; the servers need an unprivileged user.");

        // setpriv execs in place, so the pid we start is the server's pid; runuser forks and stays as the parent.
        string[] prefix = File.Exists("/usr/bin/setpriv")
            ? ["/usr/bin/setpriv", $"--reuid={name}", $"--regid={gid}", "--init-groups", "--"]
            : File.Exists("/usr/sbin/runuser") || File.Exists("/sbin/runuser")
                ? [File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser", "-u", name, "--"]
                : throw new ServerSetupException(
                    "The harness runs as root and needs setpriv or runuser (util-linux) to run the servers as " +
                    $"'{name}'; neither was found. Install util-linux or run the harness as a non-root user.");
        return new ServerUser(name, uid, gid, prefix);
    }

    /// <summary>Hands a directory or file the harness created to the server user (no-op when not root).</summary>
    public void Own(string path)
    {
        if (IsDropped) Native.Chown(path, Uid, Gid);
    }
}
