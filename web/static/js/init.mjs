// Starts GOV.UK Frontend's components (error summary focus, character counts, ...). Pages work without it.
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

initAll();
