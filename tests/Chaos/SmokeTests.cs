using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests;

public class SmokeTests
{
    [Test]
    public void Builds() => (1 + 1).Should().Be(2);
}
