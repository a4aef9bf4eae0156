using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class TrainingResultEntityConfiguration : IEntityTypeConfiguration<TrainingResult>
{
    public void Configure(EntityTypeBuilder<TrainingResult> result)
    {
        result.ToTable("TrainingResults");
        result.HasOne(r => r.Model)
            .WithMany()
            .HasForeignKey(r => r.ModelId)
            .OnDelete(DeleteBehavior.Restrict);
        result.HasMany(r => r.Epochs)
            .WithOne(e => e.Result)
            .HasForeignKey(e => e.ResultId)
            .OnDelete(DeleteBehavior.Cascade);
        result.Property(r => r.TrainMetrics).HasJsonConversion();
        result.Property(r => r.ValMetrics).HasJsonConversion();
        result.Property(r => r.TestMetrics).HasJsonConversion();
        result.Property(r => r.ConfusionMatrix).HasJsonConversion();
        // Few rows per result, always read and written as a whole: one JSON column rather than a table.
        result.Property(r => r.SelfTraining).HasJsonConversion();
        result.Property(r => r.Chain).HasJsonConversion();
        result.HasIndex(r => r.Status);
    }
}
