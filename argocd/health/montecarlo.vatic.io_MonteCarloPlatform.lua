-- Argo CD health of a MonteCarloPlatform (argocd-cm key
-- resource.customizations.health.montecarlo.vatic.io_MonteCarloPlatform).
-- Healthy when Ready is True for the current generation (the bounds are in
-- the RayService and KubeRay reports it ready); Degraded when Ready is False
-- for a reason that needs a person (InvalidBounds, RayServiceNotFound,
-- DeploymentNotFound, ...); Progressing otherwise: a Conflict, which the
-- controller retries by itself, or RayServiceNotReady while KubeRay brings
-- the Serve applications up. Plain Lua 5.1 (Argo CD runs gopher-lua);
-- tests/unit/deploy runs it under gopher-lua and lua5.4.
local hs = { status = "Progressing", message = "Waiting for the operator" }

-- Reasons that clear without anyone acting: the controller retries them, or
-- KubeRay is still bringing the RayService up.
local transient = { Conflict = true, RayServiceNotReady = true }

local generation = obj.metadata and obj.metadata.generation
local status = obj.status
if status == nil then
  return hs
end
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local ready = nil
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      ready = condition
    end
  end
end
if ready == nil then
  return hs
end
if generation ~= nil and ready.observedGeneration ~= nil and ready.observedGeneration ~= generation then
  hs.message = "Ready describes generation " .. tostring(ready.observedGeneration) .. ", not " .. tostring(generation)
  return hs
end

local message = ready.reason or ""
if ready.message ~= nil and ready.message ~= "" then
  if message ~= "" then
    message = message .. ": "
  end
  message = message .. ready.message
end
hs.message = message
if ready.status == "True" then
  hs.status = "Healthy"
elseif ready.status == "False" and not transient[ready.reason or ""] then
  hs.status = "Degraded"
end
return hs
