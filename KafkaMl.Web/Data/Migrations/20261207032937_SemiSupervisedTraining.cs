using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class SemiSupervisedTraining : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SelfTraining",
                table: "TrainingResults",
                type: "TEXT",
                nullable: false,
                // Results from before have no rounds: an empty JSON list, which the column's converter reads.
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "SemiSupervised",
                table: "Deployments",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SelfTraining",
                table: "TrainingResults");

            migrationBuilder.DropColumn(
                name: "SemiSupervised",
                table: "Deployments");
        }
    }
}
