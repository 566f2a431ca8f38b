using Toxiproxy.Toxics;

namespace Toxiproxy;

/// <summary>A toxic as configured through the API. Immutable: an update makes a new one.</summary>
internal sealed record ToxicDefinition(string Name, string Type, StreamDirection Direction, double Toxicity, IToxic Toxic);
