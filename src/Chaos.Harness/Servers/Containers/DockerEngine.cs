using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;

namespace Chaos.Harness.Servers.Containers;

/// <summary>
/// The Docker engine the container backend talks to: the endpoint Testcontainers chose (DOCKER_HOST,
/// the Docker context, or the default socket), reached through the same Docker.DotNet client
/// Testcontainers uses. Testcontainers creates, starts, pauses and removes the containers; this client
/// does what Testcontainers has no API for: signals (fast stop, crash), waiting for an exit, listing
/// and removing by label (reaping), and checking the image before the first cell.
/// </summary>
internal sealed class DockerEngine
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static Task<DockerEngine>? s_engine;

    /// <summary>How long one call to the engine may take before the harness gives up on it.</summary>
    internal static readonly TimeSpan CallBound = TimeSpan.FromSeconds(30);

    /// <summary>The API version Testcontainers 4.16 asks for; older engines need DOCKER_API_VERSION.</summary>
    internal static readonly System.Version TestcontainersApi = new(1, 44);

    private DockerEngine(DockerClient client, Uri endpoint, string version, string apiVersion)
    {
        Client = client;
        Endpoint = endpoint;
        Version = version;
        ApiVersion = apiVersion;
    }

    public DockerClient Client { get; }
    public Uri Endpoint { get; }

    /// <summary>The engine's version, e.g. "20.10.24+dfsg1".</summary>
    public string Version { get; }

    public string ApiVersion { get; }

    /// <summary>
    /// The engine of this process, connected once. A machine without a reachable engine gets one
    /// <see cref="ServerSetupException"/> line saying what was tried and what to install or start; the
    /// answer is kept, so parallel cells do not each probe again.
    /// </summary>
    public static async Task<DockerEngine> GetAsync(CancellationToken ct)
    {
        if (s_engine is { IsCompletedSuccessfully: true } ready) return ready.Result;
        await s_gate.WaitAsync(ct);
        try
        {
            // The probe runs under its own bounds, not the caller's token, so its answer can be shared.
            s_engine ??= Task.Run(() => ConnectAsync(Environment.GetEnvironmentVariable, CancellationToken.None), CancellationToken.None);
        }
        finally { s_gate.Release(); }
        return await s_engine.WaitAsync(ct);
    }

    /// <summary>Null when the engine answers; otherwise the line a user would get from the CLI.</summary>
    public static async Task<string?> WhyUnavailableAsync(CancellationToken ct)
    {
        try
        {
            await GetAsync(ct);
            return null;
        }
        catch (ServerSetupException e) { return e.Message; }
    }

    internal static async Task<DockerEngine> ConnectAsync(Func<string, string?> env, CancellationToken ct)
    {
        IDockerEndpointAuthenticationConfiguration? config;
        try { config = TestcontainersSettings.OS.DockerEndpointAuthConfig; }
        catch (Exception e) when (e is not OperationCanceledException) { config = null; _ = e; }

        if (config is null)
        {
            // Testcontainers found no engine it could use; find out why, in the user's terms.
            throw new ServerSetupException(await DiagnoseAsync(TriedEndpoint(env), env, ct));
        }

        var client = config.GetDockerClientBuilder(Guid.NewGuid()).Build();
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(TimeSpan.FromSeconds(10));
            var version = await client.System.GetVersionAsync(bound.Token);
            return new DockerEngine(client, config.Endpoint, version.Version, version.APIVersion);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            client.Dispose();
            throw new ServerSetupException(Unreachable(config.Endpoint, e));
        }
    }

    /// <summary>The endpoint Testcontainers would have tried first: DOCKER_HOST, else the default socket.</summary>
    internal static Uri TriedEndpoint(Func<string, string?> env) =>
        env("DOCKER_HOST") is { Length: > 0 } host ? new Uri(host)
        : OperatingSystem.IsWindows() ? new Uri("npipe://./pipe/docker_engine")
        : new Uri("unix:///var/run/docker.sock");

    /// <summary>Why <paramref name="endpoint"/> gives Testcontainers no engine: missing, not answering, or too old an API.</summary>
    internal static async Task<string> DiagnoseAsync(Uri endpoint, Func<string, string?> env, CancellationToken ct)
    {
        var where = env("DOCKER_HOST") is { Length: > 0 } ? $"DOCKER_HOST={endpoint}" : $"{endpoint} (DOCKER_HOST is unset)";
        if (endpoint.Scheme == "unix" && !File.Exists(endpoint.LocalPath))
        {
            return $"the container backend needs a Docker engine, and there is none: tried {where}, no such socket. {InstallOrStart}";
        }
        // Asked at an old API version every engine still speaks, to learn the one it speaks at most.
        using var client = new DockerClientBuilder().WithEndpoint(endpoint).WithApiVersion(new System.Version(1, 24)).Build();
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(TimeSpan.FromSeconds(10));
            var version = await client.System.GetVersionAsync(bound.Token);
            if (System.Version.TryParse(version.APIVersion, out var api) && api < TestcontainersApi && env("DOCKER_API_VERSION") is not { Length: > 0 })
            {
                return $"the Docker engine at {endpoint} ({version.Version}) speaks API {version.APIVersion} at most, and Testcontainers asks for {TestcontainersApi}: " +
                       $"export DOCKER_API_VERSION={version.APIVersion} (and TESTCONTAINERS_RYUK_DISABLED=true if the image testcontainers/ryuk cannot be pulled), or upgrade Docker";
            }
            return $"the Docker engine at {where} answers (Docker {version.Version}, API {version.APIVersion}), but Testcontainers would not use it " +
                   $"(DOCKER_API_VERSION={env("DOCKER_API_VERSION") ?? "unset"}); check DOCKER_API_VERSION and ~/.testcontainers.properties";
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return Unreachable(endpoint, e, where);
        }
    }

    private const string InstallOrStart =
        "Install Docker (Debian/Ubuntu: apt-get install docker.io; or Docker Desktop) and start it (here: .ci/dockerd.sh start; " +
        "elsewhere: systemctl start docker), or run without --servers containers / CHAOS_SERVERS=containers";

    private static string Unreachable(Uri endpoint, Exception e, string? where = null) =>
        $"the container backend needs a Docker engine, and none answers: tried {where ?? endpoint.ToString()}: {Innermost(e)}. {InstallOrStart}";

    /// <summary>The innermost cause on one line: a Docker API error's own "message", not the JSON around it.</summary>
    internal static string Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        if (e is OperationCanceledException) return "no answer within 10 s";
        var text = e.Message;
        if (e is DockerApiException { ResponseBody: { Length: > 0 } body })
        {
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(body);
                if (json.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } said) text = said;
            }
            catch (System.Text.Json.JsonException) { }
        }
        return string.Join(' ', text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// The image's id, pulling it first when the engine does not have it. A missing image that cannot be
    /// pulled (no registry, no such tag) is one line saying which image and how to pull or build it.
    /// </summary>
    public async Task<string> EnsureImageAsync(string image, CancellationToken ct)
    {
        try
        {
            using var bound = Bounded(ct);
            return (await Client.Images.InspectImageAsync(image, bound.Token)).ID;
        }
        catch (DockerImageNotFoundException) { }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { }

        var (from, tag) = SplitImage(image);
        var pull = new PullErrors();
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(TimeSpan.FromMinutes(10));
            await Client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = from, Tag = tag }, null, pull, bound.Token);
            return (await Client.Images.InspectImageAsync(image, bound.Token)).ID;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var why = pull.Last ?? Innermost(e);
            throw new ServerSetupException(
                $"the image '{image}' is not on the Docker engine and pulling it failed ({why}): pull it (docker pull {image}), " +
                "or build the local PostgreSQL image from this machine's binaries with docker/postgres/build-image.sh and give the tag it prints (chaos/postgres:<major>-local) as CHAOS_PG_IMAGE or --image",
                new IOException(why, e));
        }
    }

    /// <summary>A pull reports its errors as progress messages, not exceptions; kept synchronously (Progress&lt;T&gt; would post them later).</summary>
    private sealed class PullErrors : IProgress<JSONMessage>
    {
        public string? Last { get; private set; }
        public void Report(JSONMessage value) { if (value.Error is { Message: { Length: > 0 } message }) Last = message; }
    }

    /// <summary>"registry:5000/postgres:17" into ("registry:5000/postgres", "17"); a digest stays whole.</summary>
    internal static (string From, string? Tag) SplitImage(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal)) return (image, null);
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    /// <summary>The caller's token, cut off after <see cref="CallBound"/>: an engine that stops answering fails the call instead of hanging it.</summary>
    internal static CancellationTokenSource Bounded(CancellationToken ct)
    {
        var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(CallBound);
        return bound;
    }

    /// <summary>Sends <paramref name="signal"/> ("INT", "QUIT", "KILL") to the container's PID 1.</summary>
    public async Task SignalAsync(string id, string signal, CancellationToken ct)
    {
        using var bound = Bounded(ct);
        await Client.Containers.KillContainerAsync(id, new ContainerKillParameters { Signal = signal }, bound.Token);
    }

    /// <summary>Waits until the container is no longer running; false when <paramref name="within"/> ran out first.</summary>
    public async Task<bool> WaitStoppedAsync(string id, TimeSpan within, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(within);
        try
        {
            while (true)
            {
                var state = (await Client.Containers.InspectContainerAsync(id, bound.Token)).State;
                if (state is not { Running: true }) return true;
                await Task.Delay(10, bound.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return false; }
    }

    public async Task<ContainerInspectResponse> InspectAsync(string id, CancellationToken ct)
    {
        using var bound = Bounded(ct);
        return await Client.Containers.InspectContainerAsync(id, bound.Token);
    }

    /// <summary>Removes a container with its anonymous volumes (docker rm -f -v); a container already gone is fine.</summary>
    public async Task RemoveAsync(string id, CancellationToken ct)
    {
        using var bound = Bounded(ct);
        try { await Client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, bound.Token); }
        catch (DockerContainerNotFoundException) { }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict) { /* gone, or already being removed */ }
    }

    /// <summary>docker ps -a --filter label=KEY[=VALUE]: each container's id and labels.</summary>
    public async Task<IReadOnlyList<ContainerListResponse>> ContainersLabelledAsync(string label, CancellationToken ct)
    {
        using var bound = Bounded(ct);
        return [.. await Client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = LabelFilter(label) }, bound.Token)];
    }

    public async Task<IReadOnlyList<NetworkResponse>> NetworksLabelledAsync(string label, CancellationToken ct)
    {
        using var bound = Bounded(ct);
        return [.. await Client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = LabelFilter(label) }, bound.Token)];
    }

    public async Task<IReadOnlyList<VolumeResponse>> VolumesLabelledAsync(string label, CancellationToken ct)
    {
        using var bound = Bounded(ct);
        return [.. (await Client.Volumes.ListAsync(new VolumesListParameters { Filters = LabelFilter(label) }, bound.Token)).Volumes ?? []];
    }

    private static Dictionary<string, IDictionary<string, bool>> LabelFilter(string label) =>
        new() { ["label"] = new Dictionary<string, bool> { [label] = true } };
}
