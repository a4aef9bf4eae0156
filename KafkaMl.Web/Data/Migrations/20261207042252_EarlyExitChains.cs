using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class EarlyExitChains : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Chain",
                table: "TrainingResults",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BootstrapServers",
                table: "Inferences",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ChainId",
                table: "Inferences",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Stage",
                table: "Inferences",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "Threshold",
                table: "Inferences",
                type: "REAL",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Inferences_ChainId",
                table: "Inferences",
                column: "ChainId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Inferences_ChainId",
                table: "Inferences");

            migrationBuilder.DropColumn(
                name: "Chain",
                table: "TrainingResults");

            migrationBuilder.DropColumn(
                name: "BootstrapServers",
                table: "Inferences");

            migrationBuilder.DropColumn(
                name: "ChainId",
                table: "Inferences");

            migrationBuilder.DropColumn(
                name: "Stage",
                table: "Inferences");

            migrationBuilder.DropColumn(
                name: "Threshold",
                table: "Inferences");
        }
    }
}
