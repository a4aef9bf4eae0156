using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class EpochMetricEntityConfiguration : IEntityTypeConfiguration<EpochMetric>
{
    public void Configure(EntityTypeBuilder<EpochMetric> epoch)
    {
        epoch.ToTable("EpochMetrics");
        // One row per epoch: a report sent twice updates instead of duplicating.
        epoch.HasIndex(e => new { e.ResultId, e.Epoch }).IsUnique();
        epoch.Property(e => e.TrainMetrics).HasJsonConversion();
        epoch.Property(e => e.ValMetrics).HasJsonConversion();
    }
}
