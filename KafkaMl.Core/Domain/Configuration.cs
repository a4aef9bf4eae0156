namespace KafkaMl.Core.Domain;

/// <summary>A named group of one or more models trained and compared on the same stream.</summary>
public class Configuration
{
    public const int NameMaxLength = 100;

    public int Id { get; set; }

    /// <summary>Unique, compared case-insensitively; at most <see cref="NameMaxLength"/> characters.</summary>
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>The models of this configuration (many-to-many; a model in use cannot be deleted).</summary>
    public List<Model> Models { get; set; } = [];

    /// <summary>The deployments of this configuration (a configuration in use cannot be deleted).</summary>
    public List<Deployment> Deployments { get; set; } = [];
}
