using System.CommandLine;
using Chaos.Harness.Servers;

namespace Chaos.Cli;

/// <summary>--servers and --image, shared by matrix and repro: where the cells' PostgreSQL servers come from.</summary>
internal sealed class ServersOptions
{
    public Option<string?> Servers { get; } = new("--servers")
    {
        Description = $"Where servers come from: {string.Join(" or ", ServerBackend.Names)} (default: CHAOS_SERVERS, else managed child processes; attached when CHAOS_PG_ADMIN is set).",
    };

    public Option<string?> Image { get; } = new("--image")
    {
        Description = $"The PostgreSQL image for --servers containers (default: CHAOS_PG_IMAGE, else {ServerBackend.DefaultImage}).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Servers);
        command.Options.Add(Image);
    }

    /// <summary>The chosen backend; a bad choice is a UsageException (one line, exit 2).</summary>
    public ServerBackend Backend(ParseResult parse) => ServerBackend.Select(parse.GetValue(Servers), parse.GetValue(Image));
}
