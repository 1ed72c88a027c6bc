import {
  maxInputPixels,
  StyleTransferRequest,
  SuperResolutionRequest,
  styleTransferSpec,
  superResolutionSpec,
  TextToImageRequest,
  textToImageSpec,
} from "@ganvas/shared";
import { Hono } from "hono";
import { writer } from "../auth.ts";
import { readJson } from "../body.ts";
import { type AppEnv, isDev } from "../env.ts";
import { checkInputPixels, resolveInput } from "../inputs.ts";
import { modelChoices } from "../registry.ts";
import { specOrProblem, submit } from "../submit.ts";
import { checkWebhookUrl } from "../webhook-url.ts";

/** JSON bodies that may carry an inline image: 256 KiB of image as base64, plus the other fields. */
const MAX_JSON_WITH_IMAGE = 384 * 1024;

/** Stands in for the input's id while the model and style are checked, before the input costs an S3 read. */
const INPUT_NOT_YET_READ = "0".repeat(64);

export const images = new Hono<AppEnv>();

images.post("/text-to-image", writer, async (c) => {
  const req = await readJson(c, TextToImageRequest);
  if (req.webhook) checkWebhookUrl(req.webhook.url, isDev(c.env));
  const choices = await modelChoices(c);
  const spec = await specOrProblem(() => textToImageSpec(req, choices));
  return submit(c, spec, req.webhook);
});

images.post("/style-transfer", writer, async (c) => {
  const req = await readJson(c, StyleTransferRequest, MAX_JSON_WITH_IMAGE);
  if (req.webhook) checkWebhookUrl(req.webhook.url, isDev(c.env));
  const choices = await modelChoices(c);
  await specOrProblem(() => styleTransferSpec(req, INPUT_NOT_YET_READ, choices));
  const input = await resolveInput(c.get("storage"), req);
  const spec = styleTransferSpec(req, input.id, choices);
  checkInputPixels(input, maxInputPixels(spec), "style transfer");
  return submit(c, spec, req.webhook, input);
});

images.post("/super-resolution", writer, async (c) => {
  const req = await readJson(c, SuperResolutionRequest, MAX_JSON_WITH_IMAGE);
  if (req.webhook) checkWebhookUrl(req.webhook.url, isDev(c.env));
  const choices = await modelChoices(c);
  await specOrProblem(() => superResolutionSpec(req, INPUT_NOT_YET_READ, choices));
  const input = await resolveInput(c.get("storage"), req);
  const spec = superResolutionSpec(req, input.id, choices);
  checkInputPixels(input, maxInputPixels(spec), `×${req.scale} super-resolution`);
  return submit(c, spec, req.webhook, input);
});
