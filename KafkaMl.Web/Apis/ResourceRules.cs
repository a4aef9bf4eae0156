using KafkaMl.Core.Domain;

namespace KafkaMl.Web.Apis;

/// <summary>
/// What a model's fields must hold before the database or the build check is asked: one place for
/// <see cref="ModelsApi"/> and the portal's model form.
/// </summary>
internal static class ModelRules
{
    public static (ValidationErrors Errors, string Name) CheckFields(ModelRequest request)
    {
        var errors = new ValidationErrors();
        var name = NameRules.Check(request.Name, Model.NameMaxLength, errors);
        if (string.IsNullOrWhiteSpace(request.Code)) errors.Add("code", "The model's code is required.");
        return (errors, name);
    }
}

/// <summary>
/// What a configuration's fields must hold before the database is asked: one place for
/// <see cref="ConfigurationsApi"/> and the portal's configuration form.
/// </summary>
internal static class ConfigurationRules
{
    /// <summary>The errors, the trimmed name and the distinct model ids.</summary>
    public static (ValidationErrors Errors, string Name, List<int> ModelIds) CheckFields(ConfigurationRequest request)
    {
        var errors = new ValidationErrors();
        var name = NameRules.Check(request.Name, Configuration.NameMaxLength, errors);
        var modelIds = (request.ModelIds ?? []).Distinct().ToList();
        if (modelIds.Count == 0) errors.Add("modelIds", "A configuration needs at least one model.");
        return (errors, name, modelIds);
    }
}
