using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class TrainingResultDataAndSeed : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DataTopic",
                table: "TrainingResults",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "InputConfig",
                table: "TrainingResults",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "InputFormat",
                table: "TrainingResults",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ModelCode",
                table: "TrainingResults",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Scaler",
                table: "TrainingResults",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Seed",
                table: "Deployments",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DataTopic",
                table: "TrainingResults");

            migrationBuilder.DropColumn(
                name: "InputConfig",
                table: "TrainingResults");

            migrationBuilder.DropColumn(
                name: "InputFormat",
                table: "TrainingResults");

            migrationBuilder.DropColumn(
                name: "ModelCode",
                table: "TrainingResults");

            migrationBuilder.DropColumn(
                name: "Scaler",
                table: "TrainingResults");

            migrationBuilder.DropColumn(
                name: "Seed",
                table: "Deployments");
        }
    }
}
