using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Services;

/// <summary>What a chain stage's replicas are told beside the usual spec (<see cref="ChainStageSpec"/>): their stage, their threshold, where they answer and forward.</summary>
public static class InferenceChainSpecs
{
    /// <summary>The chain part of <paramref name="inference"/>'s spec (a stage of a chain of <paramref name="result"/>).</summary>
    public static async Task<ChainStageSpec> SpecAsync(KafkaMlDbContext db, Inference inference, TrainingResult result, CancellationToken cancellationToken)
    {
        var stages = await db.Inferences.AsNoTracking()
            .Where(i => i.ChainId == inference.ChainId)
            .OrderBy(i => i.Stage)
            .Select(i => new { i.Stage, i.InputTopic, i.InputFormat, i.InputConfig, i.BootstrapServers })
            .ToListAsync(cancellationToken);
        var k = inference.Stage ?? 1;
        var first = stages[0];
        var next = stages.FirstOrDefault(s => s.Stage == k + 1);
        return new ChainStageSpec(
            k,
            stages.Count,
            inference.Threshold,
            inference.BootstrapServers,
            first.BootstrapServers,
            next?.InputTopic,
            next?.BootstrapServers,
            FirstInputShape(first.InputFormat, first.InputConfig, result));
    }

    /// <summary>
    /// One sample of the chain's input as the model receives it: the stream's <c>data_reshape</c> when it gives one, else
    /// the flat count the scaler or the training stream tells; null when unknown.
    /// </summary>
    public static IReadOnlyList<long>? FirstInputShape(string format, string? config, TrainingResult result)
    {
        try
        {
            var reshape = Reshape.Parse(InputConfig.Parse(config).GetString(RawFormatConfig.DataReshapeKey), RawFormatConfig.DataReshapeKey);
            if (!reshape.IsFlat && !reshape.HasInferredDimension) return [.. reshape.Dims.Select(d => (long)d)];
        }
        catch (DataFormatException)
        {
            // Not a shape: the count below, if known.
        }
        return InferenceInputFit.ModelInputValues(result.Scaler, result.InputFormat ?? format, result.InputConfig) is { } count ? [count] : null;
    }
}
