namespace KafkaMl.Tests.Chains;

/// <summary>A chain's answered-by-exit shares over time, from its stages' stats histories.</summary>
public sealed class ChainSharesSpecs
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 4, 0, 0, TimeSpan.Zero);

    private static InferenceStatsPoint At(int second, long answered) => new(Start.AddSeconds(second), 0, null, null) { Answered = answered };

    [Fact]
    public void Each_bucket_shares_the_answers_given_in_it_between_the_stages()
    {
        IReadOnlyList<InferenceStatsPoint> edge = [At(0, 0), At(5, 30), At(15, 40)];
        IReadOnlyList<InferenceStatsPoint> cloud = [At(1, 0), At(6, 10), At(16, 40)];

        var shares = ChainShares.Over([edge, cloud], TimeSpan.FromSeconds(10));

        Assert.Equal([Start, Start.AddSeconds(10)], shares.Select(p => p.Time));
        Assert.Equal([0.75, 0.25], shares[0].Shares);
        Assert.Equal([0.25, 0.75], shares[1].Shares);
    }

    [Fact]
    public void A_restarted_replicas_counter_counts_from_zero_and_buckets_without_answers_are_left_out()
    {
        IReadOnlyList<InferenceStatsPoint> edge = [At(0, 100), At(12, 20), At(25, 20)];
        IReadOnlyList<InferenceStatsPoint> cloud = [At(0, 0), At(12, 20), At(25, 20)];

        var shares = ChainShares.Over([edge, cloud], TimeSpan.FromSeconds(10));

        Assert.Equal([0.5, 0.5], Assert.Single(shares).Shares);
    }
}
