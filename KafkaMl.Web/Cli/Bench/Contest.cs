namespace KafkaMl.Web.Cli.Bench;

/// <summary>One side of a <see cref="Contest{TRun}"/>: its name in the progress lines and one timed run.</summary>
internal sealed record Contender<TRun>(string Name, Func<Task<TRun>> RunAsync);

/// <summary>
/// A baseline and a candidate measured side by side: every repetition runs both back to back, alternating which goes
/// first (odd repetitions the baseline), so a drift in the machine's load weighs on both alike.
/// </summary>
internal sealed record Contest<TRun>(IReadOnlyList<TRun> Baseline, IReadOnlyList<TRun> Candidate)
{
    /// <summary>
    /// Runs <paramref name="repeat"/> repetitions, saying on stderr which goes first (after <paramref name="label"/>),
    /// and hands each repetition's pair (baseline, candidate) to <paramref name="reportRepetition"/>.
    /// </summary>
    public static async Task<Contest<TRun>> AlternateAsync(
        int repeat, string label, Contender<TRun> baseline, Contender<TRun> candidate, Func<int, TRun, TRun, Task> reportRepetition)
    {
        var baselineRuns = new List<TRun>();
        var candidateRuns = new List<TRun>();
        for (var rep = 1; rep <= repeat; rep++)
        {
            var baselineFirst = rep % 2 == 1;
            var (first, second) = baselineFirst ? (baseline, candidate) : (candidate, baseline);
            await Console.Error.WriteLineAsync($"{label}repetition {rep}/{repeat}: {first.Name}, then {second.Name}");
            var firstRun = await first.RunAsync();
            var secondRun = await second.RunAsync();
            var (b, c) = baselineFirst ? (firstRun, secondRun) : (secondRun, firstRun);
            baselineRuns.Add(b);
            candidateRuns.Add(c);
            await reportRepetition(rep, b, c);
        }
        return new Contest<TRun>(baselineRuns, candidateRuns);
    }

    /// <summary>The candidate's median over the baseline's median of one measure.</summary>
    public double Ratio(Func<TRun, double> measure) =>
        BenchStats.Median(Candidate.Select(measure)) / BenchStats.Median(Baseline.Select(measure));

    /// <summary>The median of each repetition's own ratio (both sides of a repetition ran back to back, under the same load).</summary>
    public double PairedRatio(Func<TRun, double> measure) =>
        BenchStats.Median(Baseline.Zip(Candidate, (b, c) => measure(c) / measure(b)));
}
