namespace Chaos.Harness.Servers.Containers;

/// <summary>
/// An address where a part of the environment can be reached. A container has two: the one the harness,
/// PgBouncer and the fault proxy on this machine use (the published port on 127.0.0.1), and the one another
/// container uses (its IP on Docker's bridge network, port 5432), which is where a Toxiproxy running in a
/// container of its own (TOXIPROXY_URL) would point its upstream.
/// </summary>
internal sealed record ServerEndpoint(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port}";
}
