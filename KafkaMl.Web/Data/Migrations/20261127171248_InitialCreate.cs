using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KafkaMl.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Configurations",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false, collation: "NOCASE"),
                    Description = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Configurations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Datasources",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DeploymentId = table.Column<int>(type: "INTEGER", nullable: false),
                    Topic = table.Column<string>(type: "TEXT", nullable: false),
                    InputFormat = table.Column<string>(type: "TEXT", nullable: false),
                    InputConfig = table.Column<string>(type: "TEXT", nullable: false),
                    Description = table.Column<string>(type: "TEXT", nullable: false),
                    ValidationRate = table.Column<double>(type: "REAL", nullable: false),
                    TestRate = table.Column<double>(type: "REAL", nullable: false),
                    TotalMsg = table.Column<long>(type: "INTEGER", nullable: false),
                    Time = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Datasources", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Models",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false, collation: "NOCASE"),
                    Description = table.Column<string>(type: "TEXT", nullable: false),
                    Code = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Models", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Deployments",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ConfigurationId = table.Column<int>(type: "INTEGER", nullable: false),
                    BatchSize = table.Column<int>(type: "INTEGER", nullable: false),
                    Epochs = table.Column<int>(type: "INTEGER", nullable: false),
                    LearningRate = table.Column<double>(type: "REAL", nullable: false),
                    Optimizer = table.Column<string>(type: "TEXT", nullable: false),
                    Loss = table.Column<string>(type: "TEXT", nullable: false),
                    Metrics = table.Column<string>(type: "TEXT", nullable: false),
                    Shuffle = table.Column<bool>(type: "INTEGER", nullable: false),
                    EarlyStoppingPatience = table.Column<int>(type: "INTEGER", nullable: true),
                    EarlyStoppingMinDelta = table.Column<double>(type: "REAL", nullable: true),
                    ValidationRate = table.Column<double>(type: "REAL", nullable: true),
                    TestRate = table.Column<double>(type: "REAL", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Deployments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Deployments_Configurations_ConfigurationId",
                        column: x => x.ConfigurationId,
                        principalTable: "Configurations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ConfigurationModels",
                columns: table => new
                {
                    ConfigurationId = table.Column<int>(type: "INTEGER", nullable: false),
                    ModelId = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConfigurationModels", x => new { x.ConfigurationId, x.ModelId });
                    table.ForeignKey(
                        name: "FK_ConfigurationModels_Configurations_ConfigurationId",
                        column: x => x.ConfigurationId,
                        principalTable: "Configurations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ConfigurationModels_Models_ModelId",
                        column: x => x.ModelId,
                        principalTable: "Models",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "TrainingResults",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DeploymentId = table.Column<int>(type: "INTEGER", nullable: false),
                    ModelId = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", nullable: false),
                    TrainMetrics = table.Column<string>(type: "TEXT", nullable: false),
                    ValMetrics = table.Column<string>(type: "TEXT", nullable: false),
                    TestMetrics = table.Column<string>(type: "TEXT", nullable: false),
                    ConfusionMatrix = table.Column<string>(type: "TEXT", nullable: true),
                    TrainingSeconds = table.Column<double>(type: "REAL", nullable: true),
                    StatusChanged = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Error = table.Column<string>(type: "TEXT", nullable: true),
                    WeightsPath = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TrainingResults", x => x.Id);
                    table.ForeignKey(
                        name: "FK_TrainingResults_Deployments_DeploymentId",
                        column: x => x.DeploymentId,
                        principalTable: "Deployments",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_TrainingResults_Models_ModelId",
                        column: x => x.ModelId,
                        principalTable: "Models",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "EpochMetrics",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ResultId = table.Column<int>(type: "INTEGER", nullable: false),
                    Epoch = table.Column<int>(type: "INTEGER", nullable: false),
                    TrainMetrics = table.Column<string>(type: "TEXT", nullable: false),
                    ValMetrics = table.Column<string>(type: "TEXT", nullable: false),
                    RecordedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EpochMetrics", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EpochMetrics_TrainingResults_ResultId",
                        column: x => x.ResultId,
                        principalTable: "TrainingResults",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Inferences",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ResultId = table.Column<int>(type: "INTEGER", nullable: false),
                    Replicas = table.Column<int>(type: "INTEGER", nullable: false),
                    InputFormat = table.Column<string>(type: "TEXT", nullable: false),
                    InputConfig = table.Column<string>(type: "TEXT", nullable: false),
                    InputTopic = table.Column<string>(type: "TEXT", nullable: false),
                    OutputTopic = table.Column<string>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", nullable: false),
                    StatusChanged = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Inferences", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Inferences_TrainingResults_ResultId",
                        column: x => x.ResultId,
                        principalTable: "TrainingResults",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ConfigurationModels_ModelId",
                table: "ConfigurationModels",
                column: "ModelId");

            migrationBuilder.CreateIndex(
                name: "IX_Configurations_Name",
                table: "Configurations",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Datasources_DeploymentId",
                table: "Datasources",
                column: "DeploymentId");

            migrationBuilder.CreateIndex(
                name: "IX_Deployments_ConfigurationId",
                table: "Deployments",
                column: "ConfigurationId");

            migrationBuilder.CreateIndex(
                name: "IX_EpochMetrics_ResultId_Epoch",
                table: "EpochMetrics",
                columns: new[] { "ResultId", "Epoch" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Inferences_ResultId",
                table: "Inferences",
                column: "ResultId");

            migrationBuilder.CreateIndex(
                name: "IX_Inferences_Status",
                table: "Inferences",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_Models_Name",
                table: "Models",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TrainingResults_DeploymentId",
                table: "TrainingResults",
                column: "DeploymentId");

            migrationBuilder.CreateIndex(
                name: "IX_TrainingResults_ModelId",
                table: "TrainingResults",
                column: "ModelId");

            migrationBuilder.CreateIndex(
                name: "IX_TrainingResults_Status",
                table: "TrainingResults",
                column: "Status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ConfigurationModels");

            migrationBuilder.DropTable(
                name: "Datasources");

            migrationBuilder.DropTable(
                name: "EpochMetrics");

            migrationBuilder.DropTable(
                name: "Inferences");

            migrationBuilder.DropTable(
                name: "TrainingResults");

            migrationBuilder.DropTable(
                name: "Deployments");

            migrationBuilder.DropTable(
                name: "Models");

            migrationBuilder.DropTable(
                name: "Configurations");
        }
    }
}
