using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Jobs.Inference;

/// <summary>
/// Keeps a replica serving the model version its inference wants: asks the portal every interval
/// (<c>GET .../version</c>: the pinned version, or the result's latest), and when it differs from the one served, loads
/// it in the background (its weights and scaler, a new module from the script compiled once: <see cref="ModelLoader"/>)
/// and offers it to the engine, which swaps it in between two batches (<see cref="ServedModel"/>). A version that will
/// not load is refused: the replica keeps serving the one it serves, says so in a line, a log warning and its stats
/// (<see cref="InferenceStats.Refused"/>), and does not try it again until another version is wanted.
/// </summary>
/// <remarks>A chain stage's threshold comes with the version (<see cref="InferenceVersionSpec.Threshold"/>) and applies from the next batch.</remarks>
public sealed class VersionFollower(
    InferencePortalClient portal, ModelLoader loader, ServedModel served, InferenceStats stats, IInferenceJobOutput output, string replica, ILogger logger,
    ChainStageRole? stage = null)
{
    /// <summary>Asks every <paramref name="interval"/> until cancelled.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                if (await portal.GetVersionAsync(cancellationToken).ConfigureAwait(false) is { } wanted)
                {
                    FollowThreshold(wanted);
                    await FollowAsync(wanted, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException e)
            {
                // A request timed out: asked again at the next tick.
                logger.LogWarning("Replica {Replica} could not ask which model version to serve: {Reason}", replica, e.Message);
            }
        }
    }

    /// <summary>A chain stage takes the threshold the portal says now (the engine reads it at its next batch).</summary>
    public void FollowThreshold(InferenceVersionSpec wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        if (stage is null || wanted.Threshold is not { } threshold || !double.IsFinite(threshold) || threshold < 0 || threshold == stage.Threshold) return;
        var previous = stage.Threshold;
        stage.Threshold = threshold;
        output.Line(FormattableString.Invariant($"replica {replica}: stage {stage.Stage} answers from confidence {threshold} on (was {previous})"));
        logger.LogInformation("Replica {Replica} of chain stage {Stage} takes threshold {Threshold} (was {Previous})", replica, stage.Stage, threshold, previous);
    }

    /// <summary>Loads and offers <paramref name="wanted"/> unless it is served (or offered) already, or was refused.</summary>
    public async Task FollowAsync(InferenceVersionSpec wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var version = wanted.Version;
        if (stats.Refused is { } refused)
        {
            if (refused.Version == version) return;
            stats.SetRefused(null); // another version is wanted now: the refusal no longer matters
        }
        if (version == (served.OfferedVersion ?? served.Version)) return;

        output.Line(InferenceJobLines.Loading(replica, version, served.Version));
        var weights = Path.Combine(Path.GetTempPath(), $"kafkaml-infer-{portal.InferenceId}-r{replica}-v{version}-{Guid.NewGuid():N}.bin");
        try
        {
            await portal.DownloadWeightsAsync(weights, cancellationToken, version).ConfigureAwait(false);
            var scaler = wanted.Scaler is null ? null : FeatureScaler.FromJson(wanted.Scaler.ToJsonString());
            served.Offer(await loader.LoadAsync(weights, scaler, cancellationToken).ConfigureAwait(false), version);
        }
        catch (InferencePortalException e) when (e.StatusCode is null)
        {
            // The portal is unreachable: not the version's fault; asked again at the next tick.
            logger.LogWarning("Replica {Replica} could not fetch model version {Version}: {Reason}", replica, version, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever the weights or the scaler throw (TorchSharp's errors included), the version is not served.
            stats.SetRefused((version, e.Message));
            output.Line(InferenceJobLines.Refused(replica, version, served.Version, e.Message));
            logger.LogWarning("Replica {Replica} refused model version {Version}: {Reason}", replica, version, e.Message);
        }
        finally
        {
            try { File.Delete(weights); } catch (IOException) { }
        }
    }
}
