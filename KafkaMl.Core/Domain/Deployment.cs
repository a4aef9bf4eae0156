namespace KafkaMl.Core.Domain;

/// <summary>A configuration deployed for training: the training settings and one result per model.</summary>
public class Deployment
{
    public int Id { get; set; }

    public int ConfigurationId { get; set; }

    public Configuration? Configuration { get; set; }

    public int BatchSize { get; set; }

    public int Epochs { get; set; }

    public double LearningRate { get; set; }

    public Optimizer Optimizer { get; set; }

    public Loss Loss { get; set; }

    /// <summary>Metric names to compute besides the loss (<c>accuracy</c>, <c>mse</c>, <c>mae</c>, ...).</summary>
    public List<string> Metrics { get; set; } = [];

    public bool Shuffle { get; set; } = true;

    /// <summary>Epochs without improvement of the validation loss before training stops; null = no early stopping.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>Smallest decrease of the validation loss that counts as an improvement.</summary>
    public double? EarlyStoppingMinDelta { get; set; }

    /// <summary>Overrides the control message's validation rate when set.</summary>
    public double? ValidationRate { get; set; }

    /// <summary>Overrides the control message's test rate when set.</summary>
    public double? TestRate { get; set; }

    /// <summary>
    /// Seed of the jobs' shuffling and train/validation/test split; one per deployment, so every model of the
    /// configuration trains and is tested on the same samples and the results compare fairly.
    /// </summary>
    public int Seed { get; set; }

    /// <summary>
    /// Set for an incremental deployment, which trains on an open stream (an online control message) and publishes
    /// model versions; null for a bounded (batch) deployment.
    /// </summary>
    public IncrementalSettings? Incremental { get; set; }

    /// <summary>
    /// Set for a semi-supervised deployment, which self-trains on the unlabelled data a control message names in
    /// <c>unsupervised_topic</c>; null for a supervised one.
    /// </summary>
    public SemiSupervisedSettings? SemiSupervised { get; set; }

    /// <summary>
    /// Set for a federated deployment (issue 19): its training job coordinates rounds on the sites' data instead of
    /// reading data itself; null for one trained on the portal's Kafka.
    /// </summary>
    public FederatedSettings? Federated { get; set; }

    /// <summary>
    /// The finished result whose weights the training jobs start from instead of a fresh initialisation (fine-tuning,
    /// e.g. a model imported from PyTorch, on a stream); null to start from the script's own initialisation.
    /// </summary>
    public int? InitialWeightsResultId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>One training result per model of the configuration.</summary>
    public List<TrainingResult> Results { get; set; } = [];
}
