using Chaos.Harness.Servers.Internal;
using DotNet.Testcontainers.Configurations;

namespace Chaos.Harness.Servers.Containers;

/// <summary>
/// Servers in Docker containers of one image (<see cref="ServerBackend.Containers"/>). Before its first server
/// the backend connects to the engine, makes sure the image is there (pulling it if it can), and reaps what
/// killed runs left on the engine: once per process, so a machine without Docker fails every cell with the
/// same one line instead of each cell probing again.
/// </summary>
internal sealed class ContainerBackend(string image) : ServerBackend
{
    /// <summary>What a container can have done to it: everything a managed server can (see <see cref="ContainerServer"/>).</summary>
    public static Capability ServerCapabilities =>
        Capability.ProcessControl | Capability.Freeze | Capability.BackendFreeze | Capability.ServerConfiguration;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Task<(DockerEngine Engine, string ImageId)>? _prepared;

    public string Image { get; } = image;

    public override string Name => "containers";
    public override Capability Capabilities => ServerCapabilities;

    /// <summary>The image as given and the id it resolved to (a tag such as postgres:17 moves; the id does not).</summary>
    public override IReadOnlyDictionary<string, string> Details =>
        _prepared is { IsCompletedSuccessfully: true } prepared
            ? new Dictionary<string, string> { ["image"] = Image, ["image_id"] = prepared.Result.ImageId }
            : new Dictionary<string, string> { ["image"] = Image };

    public override async Task<IPostgresServer> StartAsync(PostgresOptions options, CancellationToken ct)
    {
        var (engine, _) = await PrepareAsync(ct);
        return await ContainerServer.StartAsync(engine, Image, options, ct);
    }

    /// <summary>The engine and the image, checked once; the answer (or the setup error) is shared by every cell.</summary>
    internal async Task<(DockerEngine Engine, string ImageId)> PrepareAsync(CancellationToken ct)
    {
        if (_prepared is { IsCompletedSuccessfully: true } done) return done.Result;
        await _gate.WaitAsync(ct);
        // Its own bound, not the first caller's token, so every cell can share the answer; a pull gets ten minutes.
        try { _prepared ??= Task.Run(async () => { using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(11)); return await PrepareCoreAsync(bound.Token); }, CancellationToken.None); }
        finally { _gate.Release(); }
        return await _prepared.WaitAsync(ct);
    }

    private async Task<(DockerEngine, string)> PrepareCoreAsync(CancellationToken ct)
    {
        var engine = await DockerEngine.GetAsync(ct);
        // RunRegistry reaps dead runs' directories first; then their containers count as dead too.
        await RunRegistry.GetAsync(ct);
        await Reaping.OnceAsync(engine, ct);
        await EnsureResourceReaperAsync(engine, ct);
        return (engine, await engine.EnsureImageAsync(Image, ct));
    }

    /// <summary>Testcontainers 4.16's default resource reaper image, used when TestcontainersSettings names none.</summary>
    internal const string DefaultRyukImage = "testcontainers/ryuk:0.14.0";

    // With Ryuk on, Testcontainers starts it before the first container and fails with a bare registry error
    // when its image cannot be pulled; checked here, that is one line naming the way out.
    private static async Task EnsureResourceReaperAsync(DockerEngine engine, CancellationToken ct)
    {
        if (!TestcontainersSettings.ResourceReaperEnabled) return;
        var ryuk = TestcontainersSettings.ResourceReaperImage?.FullName ?? DefaultRyukImage;
        try { await engine.EnsureImageAsync(ryuk, ct); }
        catch (ServerSetupException e)
        {
            throw new ServerSetupException(
                $"Testcontainers' resource reaper (Ryuk) needs the image {ryuk}, which the Docker engine lacks and cannot pull ({e.InnerException?.Message ?? e.Message}): " +
                "set TESTCONTAINERS_RYUK_DISABLED=true (the harness removes its containers itself, and a killed run's by label chaos.run at the next run's first container), or pull it (docker pull " + ryuk + ")", e);
        }
    }

    /// <summary>One reap per process, at its first container: a killed run's containers go when the next run starts one.</summary>
    private static class Reaping
    {
        private static Task? s_done;
        private static readonly Lock s_lock = new();

        public static Task OnceAsync(DockerEngine engine, CancellationToken ct)
        {
            lock (s_lock)
            {
                return s_done ??= ContainerReaper.ReapAsync(engine, ct);
            }
        }
    }
}
