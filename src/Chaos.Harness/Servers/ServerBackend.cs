using Chaos.Harness.Servers.Containers;

namespace Chaos.Harness.Servers;

/// <summary>
/// Where a cell's servers come from: started by the harness (<see cref="Managed"/>, the default), Docker
/// containers of an image (<see cref="Containers"/>), or an existing server it attaches to
/// (<see cref="Attached"/>). Known before any server starts, so a cell that needs what the backend cannot
/// do is <c>not-applicable</c> without starting anything.
/// </summary>
internal abstract class ServerBackend
{
    /// <summary>One word for reports: "managed", "containers", "attached".</summary>
    public abstract string Name { get; }

    /// <summary>What else a report should record about where servers came from (a container's image).</summary>
    public virtual IReadOnlyDictionary<string, string> Details { get; } = new Dictionary<string, string>();

    /// <summary>What every server of this backend can have done to it.</summary>
    public abstract Capability Capabilities { get; }

    public abstract Task<IPostgresServer> StartAsync(PostgresOptions options, CancellationToken ct);

    /// <summary>This backend, its servers reused through <paramref name="shelf"/> where it can (managed servers); the same backend otherwise.</summary>
    internal virtual ServerBackend WithShelf(ServerShelf shelf) => this;

    /// <summary>Child processes from the machine's PostgreSQL binaries.</summary>
    public static ServerBackend Managed { get; } = new ManagedBackend();

    /// <summary>Managed servers whose binaries and server user come from <paramref name="env"/> instead of the process environment.</summary>
    internal static ServerBackend ManagedWith(Func<string, string?> env) => new ManagedBackend(env);

    /// <summary>An existing server, administered through a superuser connection string.</summary>
    public static ServerBackend Attached(string adminConnectionString) => new AttachedBackend(adminConnectionString);

    /// <summary>The image <see cref="Containers"/> runs when neither CHAOS_PG_IMAGE nor --image names one: the official image of a current major.</summary>
    public const string DefaultImage = "postgres:17";

    /// <summary>The names <see cref="Select"/> takes (CHAOS_SERVERS, --servers).</summary>
    public static IReadOnlyList<string> Names { get; } = ["managed", "containers"];

    /// <summary>PostgreSQL in Docker containers of <paramref name="image"/> (Testcontainers), default <see cref="DefaultImage"/>.</summary>
    public static ServerBackend Containers(string? image = null) =>
        new ContainerBackend(string.IsNullOrWhiteSpace(image) ? DefaultImage : image.Trim());

    /// <summary>Attached when CHAOS_PG_ADMIN is set; else CHAOS_SERVERS (managed, containers with CHAOS_PG_IMAGE); managed by default.</summary>
    public static ServerBackend FromEnvironment(Func<string, string?>? env = null) => Select(null, null, env);

    /// <summary>
    /// The backend <paramref name="name"/> names (--servers; else CHAOS_SERVERS; else managed, or attached when
    /// CHAOS_PG_ADMIN is set), containers running <paramref name="image"/> (--image; else CHAOS_PG_IMAGE; else
    /// <see cref="DefaultImage"/>). A name it does not know, or a choice that contradicts CHAOS_PG_ADMIN, is a <see cref="UsageException"/>.
    /// </summary>
    public static ServerBackend Select(string? name, string? image, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var source = name is { Length: > 0 } ? "--servers" : "CHAOS_SERVERS";
        name = name is { Length: > 0 } ? name : env("CHAOS_SERVERS");
        var admin = env("CHAOS_PG_ADMIN");
        switch (name?.Trim().ToLowerInvariant())
        {
            case null or "":
                if (image is { Length: > 0 }) throw new UsageException("--image needs --servers containers (or CHAOS_SERVERS=containers)");
                return admin is { Length: > 0 } ? Attached(admin) : Managed;
            case "managed" or "containers" when admin is { Length: > 0 }:
                throw new UsageException($"{source}={name} and CHAOS_PG_ADMIN contradict each other: unset CHAOS_PG_ADMIN to let the harness start its own servers");
            case "managed":
                if (image is { Length: > 0 }) throw new UsageException("--image needs --servers containers (or CHAOS_SERVERS=containers)");
                return Managed;
            case "containers":
                return Containers(image is { Length: > 0 } ? image : env("CHAOS_PG_IMAGE"));
            default:
                throw new UsageException($"{source} '{name}': expected one of {string.Join(", ", Names)}");
        }
    }

    /// <summary>
    /// Managed servers on a machine that has the kernel network path (root, ip, nft, conntrack): the machine the
    /// expectations were measured on, whatever this one can do.
    /// </summary>
    internal static ServerBackend ManagedReference { get; } = new ManagedBackend(kernelNetwork: () => true);

    /// <summary>Managed servers on a machine without the kernel network path (a non-root run), for tests.</summary>
    internal static ServerBackend ManagedWithoutKernelNetwork { get; } = new ManagedBackend(kernelNetwork: () => false);

    private sealed class ManagedBackend(Func<string, string?>? env = null, Func<bool>? kernelNetwork = null, ServerShelf? shelf = null) : ServerBackend
    {
        public override string Name => "managed";

        // The kernel network path is the machine's to give (root, its tools): a non-root run lacks it, and its
        // cells are not-applicable with the probe's reason; nothing else about managed servers changes.
        public override Capability Capabilities =>
            Capability.ProcessControl | Capability.Freeze | Capability.BackendFreeze | Capability.ServerConfiguration | Capability.Replication
            | ((kernelNetwork ?? (() => Network.Kernel.KernelNetwork.Support.Available))() ? Capability.KernelNetwork : Capability.None);
        public override async Task<IPostgresServer> StartAsync(PostgresOptions options, CancellationToken ct)
        {
            if (shelf?.TryTake(options) is { } reused)
            {
                return reused;
            }
            var server = await ManagedServer.StartAsync(options, env ?? Environment.GetEnvironmentVariable, templateRoot: null, ct);
            if (shelf is not null)
            {
                server.ShelveInto(shelf);
            }
            return server;
        }

        internal override ServerBackend WithShelf(ServerShelf with) => new ManagedBackend(env, kernelNetwork, with);
    }

    private sealed class AttachedBackend(string adminConnectionString) : ServerBackend
    {
        public override string Name => "attached";
        public override Capability Capabilities => Capability.None;
        public override async Task<IPostgresServer> StartAsync(PostgresOptions options, CancellationToken ct) =>
            await AttachedServer.AttachAsync(adminConnectionString, options, ct);
    }
}
