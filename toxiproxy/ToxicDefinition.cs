using Toxiproxy.Toxics;

namespace Toxiproxy;

/// <summary>
/// A toxic as configured through the API. Immutable: an update makes a new one. <see cref="Stream"/>
/// is the stream as the client wrote it ("UPSTREAM" stays "UPSTREAM", as in Toxiproxy);
/// <see cref="Toxicity"/> is a float32 as in Toxiproxy, any value: above 1 always applies, 0 or
/// below never.
/// </summary>
internal sealed record ToxicDefinition(string Name, string Type, StreamDirection Direction, string Stream, float Toxicity, IToxic Toxic);
