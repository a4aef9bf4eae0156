// The namespaces most specs import: the shared fixtures and helpers (Support), the domain, its engines and wire
// contracts, the portal's data, APIs and services, JSON, HTTP, hosting, logging and the Kafka client.
global using System.Net;
global using System.Net.Http.Json;
global using System.Text;
global using System.Text.Json;
global using System.Text.Json.Nodes;
global using Confluent.Kafka;
global using KafkaMl.Core.Control;
global using KafkaMl.Core.Domain;
global using KafkaMl.Core.Formats;
global using KafkaMl.Core.Inference;
global using KafkaMl.Core.Orchestration;
global using KafkaMl.Core.Scripting;
global using KafkaMl.Core.Sinks;
global using KafkaMl.Core.Streaming;
global using KafkaMl.Core.Training;
global using KafkaMl.Tests.Support;
global using KafkaMl.Web.Apis;
global using KafkaMl.Web.Data;
global using KafkaMl.Web.Services;
global using Microsoft.AspNetCore.Hosting;
global using Microsoft.AspNetCore.Http;
global using Microsoft.EntityFrameworkCore;
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Logging;
global using Microsoft.Extensions.Options;
global using Xunit.Abstractions;
