using System.Text.Json.Nodes;

namespace KafkaMl.Web.Apis;

/// <summary>A datasource as the API shows it (DESIGN §4); <see cref="Topic"/> keeps the control message's range list.</summary>
public sealed record DatasourceResponse(
    int Id,
    int DeploymentId,
    string Topic,
    string InputFormat,
    JsonObject InputConfig,
    string Description,
    double ValidationRate,
    double TestRate,
    long TotalMsg,
    DateTimeOffset Time)
{
    public static DatasourceResponse From(Datasource datasource) => new(
        datasource.Id,
        datasource.DeploymentId,
        datasource.Topic,
        datasource.InputFormat,
        ConfigObject(datasource.InputConfig),
        datasource.Description,
        datasource.ValidationRate,
        datasource.TestRate,
        datasource.TotalMsg,
        datasource.Time);

    /// <summary>The stored config text as an object; a row that does not hold one shows an empty object rather than failing the list.</summary>
    private static JsonObject ConfigObject(string stored)
    {
        try
        {
            return Core.Formats.InputConfig.Parse(stored).ToJsonObject();
        }
        catch (Core.Formats.DataFormatException)
        {
            return [];
        }
    }
}

/// <summary>Body of <c>POST /api/datasources/{id}/resend</c>: the deployment to send the datasource's control message to.</summary>
public sealed record ResendRequest(int? DeploymentId);

/// <summary>
/// What <c>POST /api/datasources/{id}/resend</c> sent: where the control message landed, its key (the
/// deployment id as a decimal string) and the message itself as it went on the wire (snake_case JSON).
/// </summary>
public sealed record ResendResponse(
    int DatasourceId, int DeploymentId, string ControlTopic, int Partition, long Offset, string Key, JsonObject Message);
