using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class ModelVersionEntityConfiguration : IEntityTypeConfiguration<ModelVersion>
{
    public void Configure(EntityTypeBuilder<ModelVersion> version)
    {
        version.ToTable("ModelVersions");
        // One row per version: a publication sent twice is recognised instead of duplicated.
        version.HasIndex(v => new { v.ResultId, v.Version }).IsUnique();
        version.HasOne(v => v.Result)
            .WithMany(r => r.Versions)
            .HasForeignKey(v => v.ResultId)
            .OnDelete(DeleteBehavior.Cascade);
        version.Property(v => v.TrainMetrics).HasJsonConversion();
        version.Property(v => v.ValMetrics).HasJsonConversion();
        version.Property(v => v.TestMetrics).HasJsonConversion();
        version.Property(v => v.StreamOffsets).HasJsonConversion();
    }
}
