-- Argo CD health of a MonteCarloSimulation (argocd-cm key
-- resource.customizations.health.montecarlo.vatic.io_MonteCarloSimulation).
-- Progressing while pending or running, Healthy when Succeeded, Degraded when
-- Failed -- judged on the conditions of the current generation only: after a
-- spec edit the old verdict no longer counts. Plain Lua 5.1 (Argo CD runs
-- gopher-lua); tests/unit/deploy runs it under lua5.4.
local hs = { status = "Progressing", message = "Waiting for the operator" }

local generation = obj.metadata and obj.metadata.generation
local status = obj.status
if status == nil then
  return hs
end
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local function current(condition)
  return generation == nil or condition.observedGeneration == nil or condition.observedGeneration == generation
end

local function describe(condition)
  local text = condition.reason or ""
  if condition.message ~= nil and condition.message ~= "" then
    if text ~= "" then
      text = text .. ": "
    end
    text = text .. condition.message
  end
  return text
end

local byType = {}
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type ~= nil and current(condition) then
      byType[condition.type] = condition
    end
  end
end

local failed = byType["Failed"]
if failed ~= nil and failed.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(failed)
  return hs
end
local succeeded = byType["Succeeded"]
if succeeded ~= nil and succeeded.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(succeeded)
  return hs
end

-- Without conditions, the phase (a convenience field) still tells.
if status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = status.message or "Failed"
  return hs
end
if status.phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = status.message or "Succeeded"
  return hs
end

-- Still pending or running: say why, led by the phase.
local phase = status.phase or "Pending"
local text = status.message or ""
local waiting = byType["Ready"] or byType["Submitted"] or byType["Accepted"]
if waiting ~= nil and describe(waiting) ~= "" then
  text = describe(waiting)
end
if text == "" then
  hs.message = phase
elseif string.sub(text, 1, string.len(phase)) == phase then
  hs.message = text
else
  hs.message = phase .. ": " .. text
end
return hs
