namespace KafkaMl.Core.Domain;

/// <summary>A neural-network model defined by a C# (TorchSharp) script.</summary>
public class Model
{
    public const int NameMaxLength = 100;

    public int Id { get; set; }

    /// <summary>Unique, compared case-insensitively; at most <see cref="NameMaxLength"/> characters.</summary>
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>The script text whose final expression builds the module.</summary>
    public string Code { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The configurations that group this model (many-to-many).</summary>
    public List<Configuration> Configurations { get; set; } = [];
}
