from audiences.models.audiences import (
    Audience,
    AudienceKind,
    AudienceStatus,
    Member,
    MembershipChange,
    Tag,
)
from audiences.models.calculated import CalculatedAttributeValue
from audiences.models.catalogue import CatalogueAttribute, CatalogueEvent, DataType
from audiences.models.downloads import Download, DownloadState
from audiences.models.events import Event, EventPartition, SourceRequest
from audiences.models.inputs import Input, Platform
from audiences.models.profiles import ErasedProfile, Identity, Profile, ProfileWorkspace
from audiences.models.realtime import PendingEvaluation, QueuedTask
from audiences.models.sample import ProfileSample
from audiences.models.standard import (
    CreditEntry,
    CreditReason,
    StandardCalculation,
    StandardCalculationState,
    StandardState,
)
from audiences.models.variations import ABTest, Variation

__all__ = [
    "ABTest",
    "Audience",
    "AudienceKind",
    "AudienceStatus",
    "CalculatedAttributeValue",
    "CatalogueAttribute",
    "CatalogueEvent",
    "CreditEntry",
    "CreditReason",
    "DataType",
    "Download",
    "DownloadState",
    "ErasedProfile",
    "Event",
    "EventPartition",
    "Identity",
    "Input",
    "Member",
    "MembershipChange",
    "PendingEvaluation",
    "Platform",
    "Profile",
    "ProfileSample",
    "ProfileWorkspace",
    "QueuedTask",
    "SourceRequest",
    "StandardCalculation",
    "StandardCalculationState",
    "StandardState",
    "Tag",
    "Variation",
]
