using System.CommandLine;
using System.Globalization;

namespace Chaos.Cli;

/// <summary>Integer options whose bad values get one line naming the value and the range, not a .NET type name.</summary>
internal static class WholeNumber
{
    public static Option<int> Option(string name, string description, int defaultValue, int min, int max = int.MaxValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(" ", result.Tokens.Select(t => t.Value));
            if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }
            var range = max == int.MaxValue ? $"of at least {min}" : $"from {min} to {max}";
            result.AddError($"{name} '{token}': give a whole number {range}");
            return defaultValue;
        },
    };
}
