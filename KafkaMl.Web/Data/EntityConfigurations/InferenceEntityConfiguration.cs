using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal sealed class InferenceEntityConfiguration : IEntityTypeConfiguration<Inference>
{
    public void Configure(EntityTypeBuilder<Inference> inference)
    {
        inference.ToTable("Inferences");
        // A result served by an inference cannot be deleted (nor, through it, its deployment).
        inference.HasOne(i => i.Result)
            .WithMany(r => r.Inferences)
            .HasForeignKey(i => i.ResultId)
            .OnDelete(DeleteBehavior.Restrict);
        inference.HasIndex(i => i.Status);
        inference.HasIndex(i => i.ChainId);
    }
}
