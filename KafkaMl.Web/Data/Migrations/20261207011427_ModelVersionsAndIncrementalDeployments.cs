using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class ModelVersionsAndIncrementalDeployments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Incremental",
                table: "Deployments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ModelVersions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ResultId = table.Column<int>(type: "INTEGER", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    PublishedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    SamplesSeen = table.Column<long>(type: "INTEGER", nullable: false),
                    WeightsPath = table.Column<string>(type: "TEXT", nullable: false),
                    Scaler = table.Column<string>(type: "TEXT", nullable: true),
                    TrainMetrics = table.Column<string>(type: "TEXT", nullable: false),
                    ValMetrics = table.Column<string>(type: "TEXT", nullable: false),
                    TestMetrics = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModelVersions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ModelVersions_TrainingResults_ResultId",
                        column: x => x.ResultId,
                        principalTable: "TrainingResults",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ModelVersions_ResultId_Version",
                table: "ModelVersions",
                columns: new[] { "ResultId", "Version" },
                unique: true);

            // Every finished result with weights gets its version 1, pointing at the weights it already has (no copy),
            // with its scaler and metrics; the samples seen are the bounded stream's messages: the sum of end - start
            // over the control message's topic:partition:start:end ranges (a topic name holds no ':').
            migrationBuilder.Sql(BackfillFirstVersions);
        }

        private const string BackfillFirstVersions = """
            WITH RECURSIVE items(ResultId, rest, item) AS (
                SELECT Id, COALESCE(DataTopic, '') || ',', NULL FROM TrainingResults WHERE Status = 'finished' AND WeightsPath IS NOT NULL
                UNION ALL
                SELECT ResultId, substr(rest, instr(rest, ',') + 1), trim(substr(rest, 1, instr(rest, ',') - 1)) FROM items WHERE rest <> ''
            ),
            offsets(ResultId, tail) AS (
                SELECT ResultId, substr(substr(item, instr(item, ':') + 1), instr(substr(item, instr(item, ':') + 1), ':') + 1)
                FROM items WHERE item LIKE '%:%:%:%'
            ),
            counts(ResultId, Samples) AS (
                SELECT ResultId, SUM(CAST(substr(tail, instr(tail, ':') + 1) AS INTEGER) - CAST(substr(tail, 1, instr(tail, ':') - 1) AS INTEGER))
                FROM offsets GROUP BY ResultId
            )
            INSERT INTO ModelVersions (ResultId, Version, PublishedAt, SamplesSeen, WeightsPath, Scaler, TrainMetrics, ValMetrics, TestMetrics)
            SELECT r.Id, 1, r.StatusChanged, COALESCE(c.Samples, 0), r.WeightsPath, r.Scaler, r.TrainMetrics, r.ValMetrics, r.TestMetrics
            FROM TrainingResults r LEFT JOIN counts c ON c.ResultId = r.Id
            WHERE r.Status = 'finished' AND r.WeightsPath IS NOT NULL;
            """;

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ModelVersions");

            migrationBuilder.DropColumn(
                name: "Incremental",
                table: "Deployments");
        }
    }
}
