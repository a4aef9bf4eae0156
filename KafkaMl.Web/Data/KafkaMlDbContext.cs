using KafkaMl.Web.Auth;
using KafkaMl.Web.Data.EntityConfigurations;

namespace KafkaMl.Web.Data;

/// <summary>The portal's SQLite database: models, configurations, deployments, results and their versions, datasources, inferences, user accounts and API tokens.</summary>
public class KafkaMlDbContext(DbContextOptions<KafkaMlDbContext> options) : DbContext(options)
{
    public DbSet<Model> Models => Set<Model>();

    public DbSet<Configuration> Configurations => Set<Configuration>();

    public DbSet<Deployment> Deployments => Set<Deployment>();

    public DbSet<TrainingResult> TrainingResults => Set<TrainingResult>();

    public DbSet<EpochMetric> EpochMetrics => Set<EpochMetric>();

    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();

    public DbSet<Datasource> Datasources => Set<Datasource>();

    public DbSet<Inference> Inferences => Set<Inference>();

    public DbSet<Dashboard> Dashboards => Set<Dashboard>();

    public DbSet<UserAccount> Users => Set<UserAccount>();

    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new ModelEntityConfiguration());
        modelBuilder.ApplyConfiguration(new ConfigurationEntityConfiguration());
        modelBuilder.ApplyConfiguration(new DeploymentEntityConfiguration());
        modelBuilder.ApplyConfiguration(new TrainingResultEntityConfiguration());
        modelBuilder.ApplyConfiguration(new EpochMetricEntityConfiguration());
        modelBuilder.ApplyConfiguration(new ModelVersionEntityConfiguration());
        modelBuilder.ApplyConfiguration(new DatasourceEntityConfiguration());
        modelBuilder.ApplyConfiguration(new InferenceEntityConfiguration());
        modelBuilder.ApplyConfiguration(new DashboardEntityConfiguration());
        modelBuilder.ApplyConfiguration(new UserAccountEntityConfiguration());
        modelBuilder.ApplyConfiguration(new ApiTokenEntityConfiguration());
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Stored as UTC text ("yyyy-MM-dd HH:mm:ss.FFFFFFF"): readable, sortable and comparable in SQL,
        // which SQLite cannot do with EF's default DateTimeOffset mapping.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcDateTimeOffsetConverter>();

        // Enums as their lowercase wire names (the same names as in JSON).
        configurationBuilder.Properties<TrainingStatus>().HaveConversion<EnumNameConverter<TrainingStatus>>();
        configurationBuilder.Properties<InferenceStatus>().HaveConversion<EnumNameConverter<InferenceStatus>>();
        configurationBuilder.Properties<Optimizer>().HaveConversion<EnumNameConverter<Optimizer>>();
        configurationBuilder.Properties<Loss>().HaveConversion<EnumNameConverter<Loss>>();
    }
}
