import {
  IMAGE_MEDIA_TYPES,
  keys,
  type ModelsView,
  type ModelView,
  TASKS,
  understoodWords,
} from "@ganvas/shared";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { serveImmutable } from "../immutable.ts";
import { ProblemError } from "../problems.ts";
import { modelChoices } from "../registry.ts";

export const models = new Hono<AppEnv>();

models.get("/", async (c) => {
  const choices = await modelChoices(c);
  const origin = new URL(c.req.url).origin;
  const tasks = TASKS.map((task) => {
    const defaultName = choices.defaults[task];
    const list = choices.models.filter((m) => m.task === task);
    const newestDefault = list
      .filter(
        (m) => m.active !== false && (`${m.name}@${m.version}` === defaultName || m.name === defaultName),
      )
      .sort((a, b) => b.version - a.version)[0];
    const views = list.map((m): ModelView => {
      const base = `${origin}/v1/models/${m.task}/${m.name}/${m.version}`;
      return {
        task: m.task,
        name: m.name,
        version: m.version,
        ref: `${m.name}@${m.version}`,
        description: m.description,
        default: m === newestDefault,
        active: m.active !== false,
        outputSize: m.outputSize,
        styles: m.styles,
        scales: m.scales,
        understands: m.task === "text-to-image" ? understoodWords(m.name) : undefined,
        metrics: m.metrics,
        sample: m.sample && `${base}/${m.sample}`,
        card: m.card && `${base}/${m.card}`,
      };
    });
    const def = newestDefault ? `${newestDefault.name}@${newestDefault.version}` : null;
    return { task, default: def, models: views };
  });
  c.header("cache-control", "public, max-age=30");
  return c.json({ source: choices.source, tasks } satisfies ModelsView);
});

/** A model's sample grid or card, and only the files the registry names: weights are not for download. */
models.get("/:task/:name/:version/:file", async (c) => {
  const { task, name, version, file } = c.req.param();
  const choices = await modelChoices(c);
  const model = choices.models.find(
    (m) => m.task === task && m.name === name && String(m.version) === version,
  );
  if (!model || (file !== model.sample && file !== model.card)) {
    throw new ProblemError("not-found", `no file ${file} for model ${task}/${name}@${version}`);
  }
  const ext = file.split(".").pop()?.toLowerCase();
  const type =
    ext === "json"
      ? "application/json"
      : ext === "jpg" || ext === "jpeg"
        ? IMAGE_MEDIA_TYPES.jpeg
        : ext === "webp"
          ? IMAGE_MEDIA_TYPES.webp
          : ext === "md"
            ? "text/markdown; charset=utf-8"
            : IMAGE_MEDIA_TYPES.png;
  return serveImmutable(c, keys.model(task, name, Number(version), file), () => type, `no file ${file}`);
});
