using KafkaMl.Core.Jobs;
using KafkaMl.Core.PyTorch;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

// initialWeightsResultId (issue 20): a deployment whose jobs start from a finished result's weights (fine-tuning, e.g. an
// imported PyTorch model, on a stream). Checked here, beside the other settings, so a job never fails for weights that
// could not fit.
public sealed partial class DeploymentService
{
    public const string InitialWeightsField = "initialWeightsResultId";

    /// <summary>
    /// Sets <paramref name="deployment"/>'s starting weights when result <paramref name="resultId"/> exists, is finished with
    /// weights, and its tensors fit every model of <paramref name="configuration"/> (the same script, or one whose model
    /// check builds the same state dict); otherwise adds why to <paramref name="errors"/>, naming each tensor that does not fit.
    /// </summary>
    private async Task CheckInitialWeightsAsync(
        KafkaMlDbContext db, int resultId, Configuration? configuration, Deployment deployment, ValidationErrors errors, CancellationToken cancellationToken)
    {
        var result = await db.TrainingResults.AsNoTracking().SingleOrDefaultAsync(r => r.Id == resultId, cancellationToken);
        if (result is null)
        {
            errors.Add(InitialWeightsField, $"Result {resultId} does not exist.");
            return;
        }
        if (result.Status != TrainingStatus.Finished || result.WeightsPath is null)
        {
            errors.Add(InitialWeightsField, $"Result {resultId} is {result.Status.ToName()}; a deployment starts from the weights of a finished result.");
            return;
        }
        if (deployment.Federated is not null)
        {
            errors.Add(InitialWeightsField, "A federated deployment starts from the script's initialisation; starting weights apply to training on this platform's Kafka.");
            return;
        }
        var safetensors = Path.Combine(orchestrator.ResultDirectory(resultId), ResultFiles.Safetensors);
        if (!File.Exists(safetensors))
        {
            errors.Add(InitialWeightsField, $"The weights of result {resultId} are missing from the data directory.");
            return;
        }
        if (configuration is null) return; // its own error is reported; nothing to compare with

        var tensors = SafeTensorsBytes.Read(await File.ReadAllBytesAsync(safetensors, cancellationToken));
        foreach (var model in configuration.Models.Where(m => m.Code != result.ModelCode).OrderBy(m => m.Id))
        {
            // Another script: its state dict must have the result's tensor names and shapes.
            var check = validator is null ? null : (await validator.ValidateAsync(model.Code, inputShape: null, cancellationToken)).Check;
            if (check?.Tensors is not { } expected)
            {
                errors.Add(InitialWeightsField, $"Model '{model.Name}' has another script than result {resultId}'s, and it could not be checked to build the same tensors.");
                continue;
            }
            foreach (var mismatch in StateDictMatch.Match(tensors, expected).Mismatches)
                errors.Add(InitialWeightsField, $"Model '{model.Name}': '{mismatch.Name}': {mismatch.Problem}");
        }
        if (!errors.Has(InitialWeightsField)) deployment.InitialWeightsResultId = resultId;
    }
}
