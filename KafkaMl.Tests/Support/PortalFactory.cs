namespace KafkaMl.Tests.Support;

/// <summary>
/// The whole portal in the test process: the real embedded broker (on a free port), a real SQLite
/// file in a temporary data directory, and a real Hangfire server. One per test collection. Access control is on
/// (accounts mode, admin <see cref="TestAdmin"/>); clients from <c>CreateClient()</c> carry an admin API token.
/// </summary>
public sealed class PortalFactory() : AdminPortalFactory("kafkaml-portal-");

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalFactory>
{
    public const string Name = "portal";
}
